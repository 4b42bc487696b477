"""Pinned per-file SHA-256 lists of the Vosk models callscreen knows how to fetch."""
