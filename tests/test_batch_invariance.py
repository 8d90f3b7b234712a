"""A line reads the same alone and in any batch: padding never reaches its logits (torch and ONNX)."""

import numpy as np
import pytest
import torch

from ocrlite.nn.backbones import list_backbones
from ocrlite.nn.crnn import build_model
from ocrlite.api.torch_recognizer import Recognizer
from ocrlite.recognition.preprocess import collate_images

from conftest import render_clean
from helpers import save_tiny_checkpoint, tiny_config

WIDTHS = [16, 36, 64, 120, 200, 404]


@pytest.mark.parametrize("backbone", list_backbones())
def test_masked_batch_equals_each_line_alone(tiny_charset, backbone):
    """Random inputs of six widths, padded with a value unlike any line: the first widths[i] / 4 steps of
    line i equal its logits alone (to float rounding), while the unmasked batch differs by far more."""
    torch.manual_seed(0)
    model = build_model(tiny_config(backbone, tiny_charset)).eval()
    lines = [torch.randn(1, 1, 32, w) for w in WIDTHS]
    full = max(WIDTHS)
    batch = torch.cat([torch.nn.functional.pad(x, (0, full - x.shape[-1]), value=3.0) for x in lines])
    with torch.no_grad():
        masked = model(batch, torch.tensor(WIDTHS))
        unmasked = model(batch)
        alone = [model(x)[0] for x in lines]
    assert torch.isfinite(masked).all()
    masked_gap = max((masked[i, : w // 4] - a).abs().max().item() for i, (w, a) in enumerate(zip(WIDTHS, alone)))
    unmasked_gap = max((unmasked[i, : w // 4] - a).abs().max().item() for i, (w, a) in enumerate(zip(WIDTHS, alone)))
    assert masked_gap <= 1e-4 < unmasked_gap, (masked_gap, unmasked_gap)


@pytest.mark.parametrize("backbone", list_backbones())
def test_masked_training_step_is_finite(tiny_charset, backbone):
    """In train mode (BatchNorm on batch statistics), masked columns stay finite: no −∞ from a max-pool leaks."""
    torch.manual_seed(0)
    model = build_model(tiny_config(backbone, tiny_charset)).train()
    batch = torch.randn(3, 1, 32, 96)
    out = model(batch, torch.tensor([96, 40, 16]))
    out.log_softmax(-1).sum().backward()
    assert torch.isfinite(out).all()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def _varied_lines(n: int = 24):
    rng = np.random.default_rng(4)
    words = ["hello", "world", "the rest", "0123", "cost (x)", "a", "not|that"]
    texts = [" ".join(rng.choice(words, size=int(rng.integers(1, 6)))) for _ in range(n)]
    return [render_clean(t, size=int(rng.integers(14, 40))) for t in texts]


def _same_predictions(a, b) -> None:
    assert [p.text for p in a] == [p.text for p in b]
    for pa, pb in zip(a, b):
        assert abs(pa.confidence - pb.confidence) <= 1e-5
        assert np.allclose(pa.char_confidences, pb.char_confidences, atol=1e-5)


def _check_recognizer(rec, images) -> None:
    prepared = [rec.prepare(im) for im in images]
    assert len({p.shape[1] for p in prepared}) > 8
    alone = rec.predict_sorted(prepared, batch_size=1)
    _same_predictions(alone, rec.predict_sorted(prepared, batch_size=32))
    _same_predictions(alone, rec.predict_sorted(prepared, batch_size=5))
    # Beside a much wider neighbour: the same line, any amount of padding.
    wide = rec.prepare(render_clean("a much wider neighbour line " * 3, size=30))
    for i in (0, 7):
        array, widths = collate_images([prepared[i], wide])
        from ocrlite.recognition.decode import decode

        pred = decode(rec.logits(array, widths), rec.charset, [w // 4 for w in widths], **rec.decoder)[0]
        _same_predictions([alone[i]], [pred])


def test_torch_recognizer_is_batch_invariant(tmp_path, tiny_charset):
    save_tiny_checkpoint(tmp_path / "m.pt", tiny_charset, "xception", seed=3)
    _check_recognizer(Recognizer.load(tmp_path / "m.pt"), _varied_lines())


@pytest.mark.parametrize("int8", [None, "dynamic"])
def test_onnx_recognizer_is_batch_invariant(tmp_path, tiny_charset, int8):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from ocrlite.nn.export import export_onnx
    from ocrlite.api.onnx_recognizer import OnnxRecognizer

    save_tiny_checkpoint(tmp_path / "m.pt", tiny_charset, "shufflenet", seed=3)
    export_onnx(tmp_path / "m.pt", tmp_path / "m.onnx", int8=int8)
    rec = OnnxRecognizer.load(tmp_path / "m.onnx")
    assert rec.takes_widths == (int8 is None)  # dynamic int8 reads each line alone: no masks in its graph
    _check_recognizer(rec, _varied_lines())


def test_trained_model_reads_the_same_at_batch_1_and_32(trained_checkpoint, line_images):
    rec = Recognizer.load(trained_checkpoint)
    images = [im for im, _ in line_images]
    _same_predictions(rec.predict(images, batch_size=1), rec.predict(images, batch_size=32))
