"""Tests of the provml capture client (unittest; see clients/python/README.md)."""
