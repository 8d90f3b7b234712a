"""Labelled line sets in users' formats: ``labels.tsv`` folders (PaddleOCR/docTR style) and LMDB sets
(deep-text-recognition-benchmark style), read with contained paths and a report of skipped rows.

Layer 3: may import :mod:`ocrlite.utils`, :mod:`ocrlite.inputs` and :mod:`ocrlite.recognition`
(the charset); torch-free.
"""
