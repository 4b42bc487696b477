"""Packaged lexicons and weights (data files; a package so that installs carry them)."""
