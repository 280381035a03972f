"""Renderers of engine results: rich text for people, JSON for machines."""
