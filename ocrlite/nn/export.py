"""Export a checkpoint to ONNX (dynamic batch and width), optionally quantised to int8.

The charset, preprocessing and model settings are written into the ONNX metadata so the file
stands alone. Int8 (onnxruntime's quantiser): ``dynamic`` stores the BiLSTM and output-layer weights
as int8, ``dynamic-all`` the convs too, ``static`` also quantises activations, calibrated on
synthetic lines (see ``INT8_MODES``).
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch

from ocrlite.utils.version import __version__
from ocrlite.nn.checkpoint import load_checkpoint
from ocrlite.recognition.onnx_engine import METADATA_KEY, SCALES_PER_BATCH, WIDTHS_INPUT
from ocrlite.nn.torch_engine import fuse_conv_bn

#: ``--int8`` modes. dynamic: int8 weights for the BiLSTM and the output layer (LSTM/MatMul/Gemm), convs stay
#: fp32 — smaller *and* faster than fp32 on x86 CPUs; dynamic-all: convs too (ConvInteger: smallest file, but
#: onnxruntime's x86 ConvInteger is slow); static: weights and activations, calibrated on synthetic lines.
#: Measured on the shipped model in the README ("Engines").
INT8_MODES = ("dynamic", "dynamic-all", "static")
DYNAMIC_OPS = {"dynamic": ["LSTM", "MatMul", "Gemm"], "dynamic-all": None}


MIN_OPSET, MAX_OPSET = 11, 20


def _add_metadata(path: Path, info: dict) -> None:
    import onnx

    model = onnx.load(str(path))
    entry = model.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(info)
    onnx.save(model, str(path))


def calibration_batches(charset_chars: str, preprocess, n: int = 64, seed: int = 7) -> list[np.ndarray]:
    """Synthetic lines (batch 1, varied widths) for static quantisation."""
    from ocrlite.recognition.charset import Charset
    from ocrlite.recognition.preprocess import prepare
    from ocrlite.synth.generator import LineGenerator

    gen = LineGenerator(Charset(charset_chars))
    return [prepare(gen.generate(seed, i)[0], preprocess)[None, None] for i in range(n)]


def export_onnx(weights: str | Path, out: str | Path, opset: int = 17, int8: str | None = None) -> Path:
    """Write ``out`` (ONNX) from checkpoint ``weights``; returns ``out``.

    Raises:
        ValueError: unknown ``int8`` mode.
        CheckpointError: bad checkpoint.
    """
    if int8 is not None and int8 not in INT8_MODES:
        raise ValueError(f"unknown int8 mode {int8!r}; choose one of: {', '.join(INT8_MODES)}")
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(f"--opset must be in {MIN_OPSET}..{MAX_OPSET} (the BiLSTM export needs {MIN_OPSET}+), got {opset}")
    if Path(out).exists() and Path(weights).exists() and os.path.samefile(out, weights):
        raise ValueError(f"{out}: is the input checkpoint; choose another --out")
    loaded = load_checkpoint(weights)
    model = fuse_conv_bn(loaded.model).eval()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    info = {"format_version": 1, "ocrlite_version": __version__, "charset": loaded.charset.chars,
            "preprocess": loaded.preprocess.to_dict(), "model": loaded.config.to_dict(), "int8": int8}
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        example = torch.zeros(2, loaded.config.in_channels, loaded.preprocess.height, 64)
        example_widths = torch.tensor([64, 32])  # two widths, so the masks are traced as data, not constants
        # A batch-masked graph takes each line's width. Dynamic int8 files are read one line at a time
        # anyway (their activation scales are per input tensor: OnnxRecognizer.logits), so they leave
        # the masks out — at batch 1 the masks' 31 extra elementwise ops would cost ~20 % of the speed.
        masked = int8 not in SCALES_PER_BATCH
        args, names, axes = (example, example_widths), ["images", WIDTHS_INPUT], {WIDTHS_INPUT: {0: "batch"}}
        if not masked:
            args, names, axes = (example,), ["images"], {}
        with warnings.catch_warnings():
            # The exporter warns that an LSTM exported with a dynamic batch may fail at other batch
            # sizes when initial states are baked in; ours start from zeros the graph builds per
            # batch (tests/test_onnx.py checks batch 16 against torch), so the warning is noise.
            # The packed BiLSTM becomes an ONNX LSTM with sequence_lens; the exporter has no shape
            # rule for the packing ops it removes (shapes are checked by running the file below).
            warnings.filterwarnings("ignore", message="Exporting a model to ONNX with a batch_size other than 1")
            warnings.filterwarnings("ignore", message=".*pack_padded_sequence.*")
            # dynamo=False on purpose: the TorchScript exporter writes the packed BiLSTM as one ONNX LSTM with
            # sequence_lens (batch invariance); its deprecation notice and the tracer's notes on the RNN's
            # Python-side shape checks (constant for a given graph) say nothing about this export.
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            torch.onnx.export(
                model, args, str(fp32), input_names=names, output_names=["logits"], opset_version=opset,
                dynamic_axes={"images": {0: "batch", 3: "width"}, **axes, "logits": {0: "batch", 1: "time"}},
                dynamo=False,
            )
        final = fp32
        if int8 is not None:
            final = Path(tmp) / "int8.onnx"
            _quantize(fp32, final, int8, loaded)
        _add_metadata(final, info)
        _check_loads(final, example.numpy(), example_widths.numpy() if masked else None)
        os.replace(final, out)
    return out


def _check_loads(path: Path, example: np.ndarray, widths: np.ndarray | None) -> None:
    """Run the exported file once on onnxruntime; a file it cannot load or run is never written.

    Raises:
        ValueError: onnxruntime rejects the file.
    """
    try:
        import onnxruntime as ort
    except ImportError:
        return
    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        feeds = {"images": example} if widths is None else {"images": example, WIDTHS_INPUT: widths.astype(np.int64)}
        session.run(None, feeds)
    except Exception as err:  # noqa: BLE001 - onnxruntime raises its own exception types
        raise ValueError(f"the exported model does not run on onnxruntime ({str(err).splitlines()[0][:200]})") from None


def _quantize(src: Path, dst: Path, mode: str, loaded) -> None:
    import logging

    # onnxruntime's quantiser logs "Please consider to run pre-processing before quantization" with a URL for
    # every model: its shape-inference pre-pass adds nothing to these small graphs (measured: same file, same
    # outputs), so the advice is silenced rather than shown to every user who exports.
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))
    try:
        _quantize_quietly(src, dst, mode, loaded)
    finally:
        root.setLevel(level)


def _quantize_quietly(src: Path, dst: Path, mode: str, loaded) -> None:
    from onnxruntime.quantization import CalibrationDataReader, QuantType, quantize_dynamic, quantize_static

    if mode in DYNAMIC_OPS:
        ops = DYNAMIC_OPS[mode]
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8,
                         **({"op_types_to_quantize": ops} if ops else {}))
        return
    batches = calibration_batches(loaded.charset.chars, loaded.preprocess)

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(batches)

        def get_next(self):
            item = next(self.items, None)
            return None if item is None else {"images": item, WIDTHS_INPUT: np.array([item.shape[-1]], np.int64)}

    quantize_static(str(src), str(dst), Reader(), activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    per_channel=True, op_types_to_quantize=["Conv", "MatMul", "Gemm"])
