"""Signals: pure functions from one kind of evidence to weighted, explained reasons."""
