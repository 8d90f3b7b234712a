"""Measuring: CER of a reader on a labelled set (:mod:`~ocrlite.evaluation.evaluate`), the backbone
and engine benchmark (:mod:`~ocrlite.evaluation.bench`) and the peer recognizers beside it —
Tesseract, PP-OCRv4, PP-OCRv6 tiny (:mod:`~ocrlite.evaluation.peers`).

Layer 6: may import every layer below :mod:`ocrlite.training` (utils, inputs, recognition,
datasets, synth, nn, pages, api). Evaluation is torch-free; the benchmark needs torch.
"""
