"""Experiments: one-command reproductions of figures in har/README.md; not product code paths."""
