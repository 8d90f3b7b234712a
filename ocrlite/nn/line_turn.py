"""The line-turn classifier (is this line upside down?) as a torch network, its checkpoint and its ONNX export.

``(B, 1, 32, W)`` windows of a line (:func:`ocrlite.recognition.line_turn.line_windows`) → a MobileNet-style
stack (a 3×3 stem, then depthwise-separable blocks, the same blocks as the recognizers') down to
``(B, C, 2, W / 16)`` → the mean over the width, which keeps the two rows apart (the upper and lower half of
the line: where ascenders and descenders are is the whole question) → ``(B, 2C)`` → one logit, positive
for "upside down". About 34 k parameters (the shipped channels 24, 48, 96, 128).
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ocrlite.nn.backbones.base import ConvBNAct, init_weights
from ocrlite.nn.backbones.mobilenet import DepthwiseSeparable
from ocrlite.recognition.line_turn import INPUT_HEIGHT, METADATA_KEY, WINDOW
from ocrlite.utils.version import __version__

LINE_TURN_FORMAT = "ocrlite-line-turn"


@dataclass
class LineTurnConfig:
    """The classifier's shape: ``channels`` of its four stages (each halves the height and width)."""

    channels: tuple[int, int, int, int] = (24, 48, 96, 128)

    def to_dict(self) -> dict[str, Any]:
        return {"channels": list(self.channels)}


class LineTurnNet(nn.Module):
    """``(B, 1, 32, W)`` line windows → ``(B,)`` logits, positive when the line is upside down (W: a multiple
    of 16)."""

    def __init__(self, config: LineTurnConfig | None = None) -> None:
        super().__init__()
        self.config = config or LineTurnConfig()
        c = self.config.channels
        self.features = nn.Sequential(
            ConvBNAct(1, c[0], 3, stride=2),              # 16 × W/2
            DepthwiseSeparable(c[0], c[1], (2, 2)),       # 8 × W/4
            DepthwiseSeparable(c[1], c[1], (1, 1)),
            DepthwiseSeparable(c[1], c[2], (2, 2)),       # 4 × W/8
            DepthwiseSeparable(c[2], c[2], (1, 1)),
            DepthwiseSeparable(c[2], c[3], (2, 2)),       # 2 × W/16
        )
        self.head = nn.Linear(2 * c[3], 1)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(x).mean(dim=3)                  # (B, C, 2): upper and lower half of the line
        return self.head(f.flatten(1)).squeeze(1)


def line_turn_checkpoint(model: LineTurnNet, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A plain dict (tensors and primitives: loads with ``weights_only=True``) holding everything to rebuild it."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return {"format": LINE_TURN_FORMAT, "format_version": 1, "ocrlite_version": __version__,
            "model": model.config.to_dict(), "state_dict": state, **(extra or {})}


def load_line_turn(path: str | Path) -> tuple[LineTurnNet, dict[str, Any]]:
    """Rebuild a classifier from its checkpoint: ``(model in eval mode, the whole dict)``.

    Raises:
        ValueError: not an ocrlite line-turn checkpoint, or its tensors do not fit its shape.
    """
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ValueError(f"{path}: no such line-turn checkpoint") from None
    except Exception as err:  # noqa: BLE001 - torch raises many kinds for a damaged file
        raise ValueError(f"{path}: not a readable checkpoint ({str(err).splitlines()[0][:120]})") from None
    if not isinstance(ck, dict) or ck.get("format") != LINE_TURN_FORMAT:
        found = ck.get("format") if isinstance(ck, dict) else None
        raise ValueError(f"{path}: not an ocrlite line-turn checkpoint (format {found!r})")
    model = LineTurnNet(LineTurnConfig(tuple(ck["model"]["channels"])))  # type: ignore[arg-type]
    try:
        model.load_state_dict(ck["state_dict"])
    except RuntimeError as err:
        raise ValueError(f"{path}: its tensors do not fit a {ck['model']} classifier ({str(err)[:160]})") from None
    return model.eval(), ck


def is_line_turn_checkpoint(path: str | Path) -> bool:
    """The file is a line-turn classifier's checkpoint (format ``ocrlite-line-turn``)."""
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - any unreadable file is simply not one
        return False
    return isinstance(ck, dict) and ck.get("format") == LINE_TURN_FORMAT


def export_line_turn(checkpoint: str | Path, out: str | Path, opset: int = 17) -> Path:
    """Write ``out`` (.onnx, fp32: the network is ~34 k parameters, int8 would save nothing that matters) with
    the classifier's shape and input in the file's metadata, so
    :class:`ocrlite.recognition.line_turn.OnnxLineTurn` runs it with onnxruntime alone.

    Raises:
        ValueError: not a line-turn checkpoint.
    """
    import onnx

    model, ck = load_line_turn(checkpoint)
    out = Path(out)
    info = {"model": ck["model"], "input_height": INPUT_HEIGHT, "window": WINDOW, "ocrlite_version": __version__,
            "metrics": ck.get("metrics", {})}
    with tempfile.TemporaryDirectory(dir=out.parent if out.parent.exists() else None) as tmp:
        target = Path(tmp) / "line_turn.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (torch.zeros(2, 1, INPUT_HEIGHT, WINDOW),), str(target), input_names=["windows"],
                              output_names=["logit"], dynamic_axes={"windows": {0: "batch"}, "logit": {0: "batch"}},
                              opset_version=opset, dynamo=False)
        graph = onnx.load(str(target))
        entry = graph.metadata_props.add()
        entry.key, entry.value = METADATA_KEY, json.dumps(info)
        onnx.save(graph, str(target))
        os.replace(target, out)
    return out


__all__ = ["LineTurnConfig", "LineTurnNet", "line_turn_checkpoint", "load_line_turn", "export_line_turn",
           "is_line_turn_checkpoint"]
