"""The neural networks, torch-only: the backbone registry (:mod:`~ocrlite.nn.backbones`), the CRNN
(:mod:`~ocrlite.nn.crnn`), width masking for batch-invariant reads, checkpoints, the torch line
engine and ONNX/int8 export.

Layer 4: may import :mod:`ocrlite.utils`, :mod:`ocrlite.inputs`, :mod:`ocrlite.recognition` and
:mod:`ocrlite.synth` (export calibrates int8 on synthetic lines). Not pages, data sets or training.
"""
