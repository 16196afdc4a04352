"""Benchmarks; `python -m bench` runs the scale benchmark (bench/__main__.py)."""
