"""Network plugins' own policy dialects, each compiled into the rule model of `engine/rules.py`."""
