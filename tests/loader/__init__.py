"""Tests of manifest loading: formats, sources, bad input, and the loader's never-raise property."""
