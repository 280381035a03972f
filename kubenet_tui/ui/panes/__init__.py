"""The cluster at a glance: what the heatmap, coverage, exposure and lint panes show, as plain models.

No Textual here (a test enforces it): a pane feeds keys in and draws the lines and cells these models
give it; the commands render the same models as text, JSON or SARIF.
"""
