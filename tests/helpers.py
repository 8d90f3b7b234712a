"""Test helpers: fit a tiny CRNN on a few lines, write checkpoints."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import torch
from PIL import Image

from ocrlite.recognition.charset import Charset
from ocrlite.nn.checkpoint import atomic_save, checkpoint_dict
from ocrlite.recognition.decode import greedy_decode
from ocrlite.nn.crnn import CRNN, ModelConfig, build_model
from ocrlite.recognition.preprocess import PreprocessConfig, collate_images, prepare

TINY_KWARGS = {
    "squeezenet": {"width_mult": 0.25},
    "mobilenet": {"width_mult": 0.25, "middle_blocks": 1},
    "mobilenet_v2": {"width_mult": 0.35, "last_channels": 64},
    "shufflenet": {"width_mult": 0.25, "repeats": [1, 2, 1]},
    "xception": {"width_mult": 0.25, "middle_repeats": 1},
}


def tiny_config(backbone: str, charset: Charset, hidden: int = 48) -> ModelConfig:
    return ModelConfig(backbone, charset.num_classes, dict(TINY_KWARGS[backbone]), hidden_size=hidden)


def fit_lines(model: CRNN, charset: Charset, lines: list[tuple[Image.Image, str]], steps: int, lr: float = 3e-3,
              preprocess: PreprocessConfig | None = None, opt_state: dict | None = None) -> list[str]:
    """Train ``model`` on the lines (one full batch per step); return its greedy predictions after.

    ``opt_state``: a dict that keeps the optimizer between calls (training continues, Adam moments kept).
    """
    pre = preprocess or PreprocessConfig()
    array, widths = collate_images([prepare(im, pre) for im, _ in lines])
    x = torch.from_numpy(array)
    targets, target_lengths = charset.encode_batch([t for _, t in lines])
    targets_t, tl = torch.tensor(targets), torch.tensor(target_lengths)
    il = torch.tensor([w // 4 for w in widths])
    w_t = torch.tensor(widths)  # trained as it is read: padding masked out
    ctc = torch.nn.CTCLoss(zero_infinity=True)
    if opt_state is not None and "opt" in opt_state:
        opt = opt_state["opt"]
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        if opt_state is not None:
            opt_state["opt"] = opt
    model.train()
    for _ in range(steps):
        loss = ctc(model(x, w_t).log_softmax(-1).transpose(0, 1), targets_t, il, tl)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        return [p.text for p in greedy_decode(model(x, w_t), charset, [w // 4 for w in widths])]


def fit_until_exact(model: CRNN, charset: Charset, lines: list[tuple[Image.Image, str]], max_steps: int = 1500,
                    check_every: int = 100) -> tuple[list[str], int]:
    """Train in rounds of ``check_every`` steps until every line reads exactly, or ``max_steps``.

    Asserting a property within a bounded budget (rather than after a fixed step count) keeps the
    test independent of the CPU's floating-point path: one BLAS build memorises "hello world" at
    step 380, another at step 450. Returns the last predictions and the steps used.
    """
    truths = [t for _, t in lines]
    steps, preds = 0, []
    opt_state: dict = {}
    while steps < max_steps:
        preds = fit_lines(model, charset, lines, steps=check_every, opt_state=opt_state)
        steps += check_every
        if preds == truths:
            break
    return preds, steps


def save_tiny_checkpoint(path: Path, charset: Charset, backbone: str = "mobilenet", seed: int = 0,
                         model: CRNN | None = None) -> tuple[CRNN, ModelConfig]:
    torch.manual_seed(seed)
    cfg = tiny_config(backbone, charset)
    model = model or build_model(cfg)
    atomic_save(checkpoint_dict(model, cfg, charset, PreprocessConfig()), path)
    return model.eval(), cfg


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width × height`` (a decompression bomb by size) with a tiny body."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
