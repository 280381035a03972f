"""Textual-free models of explorer panes: what a pane lists, how it filters, what its keys do, as data
(the explorer's widgets only draw them and route keys)."""
