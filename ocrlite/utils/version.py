"""The package version, in the lowest layer so that every layer may record it (checkpoints, ONNX metadata)."""

__version__ = "0.2.0"
