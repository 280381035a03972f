"""The explorer's what-if as plain models, no Textual: the overlay session (`session`), the Changes pane
(`changes_view`) and a suggested fix as an overlay (`suggestion`)."""
