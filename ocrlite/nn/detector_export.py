"""Export a line-detector checkpoint to ONNX (fp32, or int8 with static QDQ quantisation calibrated on
synthetic scenes) with its settings in the file's metadata, so :class:`ocrlite.pages.detector.OnnxLineDetector`
runs it with onnxruntime alone. Input ``(1, 1, H, W)`` with H and W any multiples of 32."""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch

from ocrlite.nn.detector import load_detector
from ocrlite.detection.postprocess import METADATA_KEY, DetectorSettings, resize_for_detector
from ocrlite.utils.version import __version__

DETECTOR_INT8_MODES = ("static",)


def _add_metadata(path: Path, info: dict) -> None:
    import onnx

    model = onnx.load(str(path))
    entry = model.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(info)
    onnx.save(model, str(path))


def calibration_pages(n: int = 16, seed: int = 11) -> list[np.ndarray]:
    """Synthetic scenes (held-out fonts, any background) as detector inputs, for int8 calibration."""
    from ocrlite.synth.pages import PageRenderer
    from ocrlite.synth.scenes import compose_scene

    renderer, settings, out = PageRenderer(), DetectorSettings(), []
    for i in range(n):
        rng = np.random.default_rng((seed, i))
        page = renderer.render(rng, degrade=False)
        scene = compose_scene(page.image, [q for _, q in page.lines], rng)
        out.append(resize_for_detector(scene.image, settings)[0])
    return out


def export_detector(checkpoint: str | Path, out: str | Path, int8: str | None = None, opset: int = 17,
                    calibration: list[np.ndarray] | None = None) -> Path:
    """Write ``out`` (.onnx) from a detector checkpoint; ``int8="static"`` quantises its convolutions
    (QDQ, calibrated on ``calibration`` inputs, ``(1, 1, H, W)`` float32 each).

    Raises:
        ValueError: not a detector checkpoint, or an unknown int8 mode.
    """
    if int8 is not None and int8 not in DETECTOR_INT8_MODES:
        raise ValueError(f"unknown int8 mode {int8!r}; choose one of: {', '.join(DETECTOR_INT8_MODES)}")
    model, settings, ck = load_detector(str(checkpoint))
    out = Path(out)
    info = {"model": ck["model"], "settings": {**DetectorSettings().__dict__, **settings},
            "ocrlite_version": __version__, "int8": int8}
    example = torch.zeros(1, 1, 256, 192)
    with tempfile.TemporaryDirectory(dir=out.parent if out.parent.exists() else None) as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (example,), str(fp32), input_names=["page"], output_names=["probability"],
                              dynamic_axes={"page": {2: "height", 3: "width"}, "probability": {2: "h", 3: "w"}},
                              opset_version=opset, dynamo=False)
        target = fp32
        if int8 == "static":
            from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
            from onnxruntime.quantization.shape_inference import quant_pre_process

            inputs = calibration if calibration is not None else calibration_pages()

            class Reader(CalibrationDataReader):
                def __init__(self) -> None:
                    self.items = iter([{"page": x} for x in inputs])

                def get_next(self):
                    return next(self.items, None)

            pre = Path(tmp) / "pre.onnx"
            quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
            target = Path(tmp) / "int8.onnx"
            quantize_static(str(pre), str(target), Reader(), quant_format=QuantFormat.QDQ,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True)
        _add_metadata(target, info)
        os.replace(target, out)
    return out
