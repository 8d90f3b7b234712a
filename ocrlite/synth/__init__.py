"""Synthetic text-line generator: text sources, fonts, rendering, degradations, datasets."""
