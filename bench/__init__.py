"""Benchmarks (not tests): plain scripts, run as ``.venv/bin/python bench/<name>.py``."""
