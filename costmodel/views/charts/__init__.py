"""Altair chart specs, one module per page area."""
