"""Network plugins' own policy dialects, each compiled into the shared rule model (`engine/rules.py`)."""
