"""Shared utilities of every layer: atomic outputs, folder locks, limits, progress, optional extras,
shipped resources, the name registry and the version.

Layer 0 (the lowest): imports nothing of ocrlite outside :mod:`ocrlite.utils`; torch-free.
"""
