"""Bulk jobs: one resumable, lossless batch over every core (:mod:`~ocrlite.bulk.job`, ``ocrlite batch``).

Layer 8 (beside :mod:`ocrlite.serve`): may import every layer below it (the public readers of
:mod:`ocrlite.api` through ``ocrlite.load``, inputs, PDFs, utilities); never serve or the CLI.
"""
