"""Tests against a real OpenSearch cluster (a package: its conftest must not shadow tests/conftest.py)."""
