"""ONNX export: logits agree with torch, int8 stays close, and the onnx engine needs no torch."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from ocrlite.nn.backbones import list_backbones  # noqa: E402
from ocrlite.recognition.charset import Charset  # noqa: E402
from ocrlite.cli import main  # noqa: E402
from ocrlite.nn.export import export_onnx  # noqa: E402
from ocrlite.recognition.metrics import score  # noqa: E402
from ocrlite.recognition.onnx_engine import OnnxModelError
from ocrlite.api.onnx_recognizer import OnnxRecognizer  # noqa: E402
from ocrlite.api.torch_recognizer import Recognizer  # noqa: E402
from ocrlite.synth.text import TextSampler  # noqa: E402
from ocrlite.utils.resources import REPO_WEIGHTS_DIR  # noqa: E402
from ocrlite.recognition.zoo import DEFAULT_MODEL, WEIGHTS_DIR  # noqa: E402

from conftest import LINES, render_clean  # noqa: E402
from helpers import save_tiny_checkpoint  # noqa: E402


def _varied_lines(charset: Charset, n: int = 50):
    sampler = TextSampler(charset, max_length=40)
    rng = np.random.default_rng(3)
    texts = [sampler.sample(rng) for _ in range(n)]
    return [render_clean(t, size=int(rng.integers(16, 40))) for t in texts]


@pytest.mark.parametrize("backbone", list_backbones())
def test_onnx_matches_torch(tmp_path, tiny_charset, backbone):
    save_tiny_checkpoint(tmp_path / "m.pt", tiny_charset, backbone)
    export_onnx(tmp_path / "m.pt", tmp_path / "m.onnx")
    torch_rec, onnx_rec = Recognizer.load(tmp_path / "m.pt"), OnnxRecognizer.load(tmp_path / "m.onnx")
    images = [torch_rec.prepare(im) for im in _varied_lines(tiny_charset)]
    assert len({im.shape[1] for im in images}) > 10
    for start in range(0, len(images), 16):
        from ocrlite.recognition.preprocess import collate_images

        batch, _ = collate_images(images[start : start + 16])
        assert np.abs(torch_rec.logits(batch) - onnx_rec.logits(batch)).max() <= 1e-3
    assert [p.text for p in torch_rec.predict_sorted(images, 16)] == [p.text for p in onnx_rec.predict_sorted(images, 16)]
    assert onnx_rec.charset == tiny_charset and onnx_rec.preprocess == torch_rec.preprocess


@pytest.mark.parametrize("mode, conv_op", [("dynamic", "Conv"), ("dynamic-all", "ConvInteger")])
def test_int8_stays_within_margin(tmp_path, trained_checkpoint, line_images, mode, conv_op):
    """Stated margin: dynamic int8 CER ≤ fp32 CER + 5 points on the lines the tiny model memorised."""
    import onnx

    export_onnx(trained_checkpoint, tmp_path / "fp32.onnx")
    export_onnx(trained_checkpoint, tmp_path / "int8.onnx", int8=mode)
    assert (tmp_path / "int8.onnx").stat().st_size < (tmp_path / "fp32.onnx").stat().st_size
    ops = {n.op_type for n in onnx.load(str(tmp_path / "int8.onnx")).graph.node}
    assert "DynamicQuantizeLSTM" in ops and conv_op in ops  # dynamic keeps convs fp32, dynamic-all does not
    truths = [t for _, t in line_images]
    cers = {}
    for name in ("fp32", "int8"):
        rec = OnnxRecognizer.load(tmp_path / f"{name}.onnx")
        cers[name] = score([p.text for p in rec.predict([im for im, _ in line_images])], truths).cer
    assert cers["int8"] <= cers["fp32"] + 0.05, cers


def test_static_int8_exports_and_runs(tmp_path, trained_checkpoint, line_images):
    """Static int8 is offered, not recommended: it must load and run; its accuracy is not promised."""
    export_onnx(trained_checkpoint, tmp_path / "static.onnx", int8="static")
    preds = OnnxRecognizer.load(tmp_path / "static.onnx").predict([im for im, _ in line_images[:2]])
    assert len(preds) == 2 and all(0.0 <= p.confidence <= 1.0 for p in preds)


def test_onnx_predict_runs_without_torch(tmp_path, trained_checkpoint, line_images):
    export_onnx(trained_checkpoint, tmp_path / "m.onnx")
    line_images[0][0].save(tmp_path / "a.png")
    blocker = tmp_path / "block"
    (blocker / "torch").mkdir(parents=True)
    (blocker / "torch" / "__init__.py").write_text("raise ImportError('torch is blocked in this test')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocker), os.environ.get("PYTHONPATH", "")])}
    check = subprocess.run([sys.executable, "-c", "import torch"], env=env, capture_output=True)
    assert check.returncode != 0  # the blocker works
    res = subprocess.run([sys.executable, "-m", "ocrlite", "predict", "--engine", "onnx", "--weights",
                          str(tmp_path / "m.onnx"), str(tmp_path / "a.png"), str(tmp_path / "missing.png")],
                         env=env, capture_output=True, text=True)
    assert res.returncode == 1, res.stderr
    assert res.stdout.split("\t")[1] == LINES[0]
    assert "missing.png: no such file" in res.stderr


def test_export_cli_refuses_overwrite_and_bad_models(tmp_path, trained_checkpoint, capsys):
    out = tmp_path / "m.onnx"
    assert main(["export", "--weights", str(trained_checkpoint), "--out", str(out)]) == 0
    assert main(["export", "--weights", str(trained_checkpoint), "--out", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    (tmp_path / "junk.onnx").write_bytes(b"junk")
    with pytest.raises(OnnxModelError, match="junk.onnx"):
        OnnxRecognizer.load(tmp_path / "junk.onnx")
    assert main(["predict", "--engine", "onnx", "--weights", str(tmp_path / "junk.onnx"), str(out)]) == 2
    assert "junk.onnx: not a loadable ONNX model" in capsys.readouterr().err


def test_engine_auto_picks_by_suffix_and_shipped_files(tmp_path, monkeypatch, trained_checkpoint):
    from ocrlite.recognition import zoo as weights_module
    from ocrlite.recognition.zoo import NoDefaultWeightsError, resolve_engine

    monkeypatch.setattr(weights_module, "WEIGHTS_DIR", tmp_path)
    monkeypatch.setattr(weights_module, "DEFAULT_MODEL", "tiny")
    assert resolve_engine("auto", "x/m.onnx") == ("onnx", Path("x/m.onnx"))
    assert resolve_engine("auto", "x/m.pt") == ("torch", Path("x/m.pt"))
    with pytest.raises(NoDefaultWeightsError, match="no default model"):
        resolve_engine("auto", None)
    shutil.copy(trained_checkpoint, tmp_path / "tiny.pt")
    assert resolve_engine("auto", None) == ("torch", tmp_path / "tiny.pt")
    with pytest.raises(NoDefaultWeightsError, match="ocrlite export"):
        resolve_engine("onnx", None)
    export_onnx(trained_checkpoint, tmp_path / "tiny.onnx")
    assert resolve_engine("auto", None) == ("onnx", tmp_path / "tiny.onnx")
    assert resolve_engine("torch", None) == ("torch", tmp_path / "tiny.pt")
    monkeypatch.setattr(weights_module, "onnxruntime_available", lambda: False)
    assert resolve_engine("auto", None) == ("torch", tmp_path / "tiny.pt")
    with pytest.raises(ValueError, match="auto, torch, onnx"):
        resolve_engine("tensorrt", None)


def test_default_predict_uses_shipped_onnx_without_torch(tmp_path, trained_checkpoint, line_images):
    """With a shipped .onnx next to the default .pt, plain `ocrlite predict` runs on onnxruntime alone."""
    weights = tmp_path / "weights"
    weights.mkdir()
    export_onnx(trained_checkpoint, weights / f"{DEFAULT_MODEL}.onnx")
    line_images[2][0].save(tmp_path / "a.png")
    blocker = tmp_path / "block"
    (blocker / "torch").mkdir(parents=True)
    (blocker / "torch" / "__init__.py").write_text("raise ImportError('torch is blocked in this test')\n")
    env = {**os.environ, "OCRLITE_WEIGHTS_DIR": str(weights),
           "PYTHONPATH": os.pathsep.join([str(blocker), os.environ.get("PYTHONPATH", "")])}
    res = subprocess.run([sys.executable, "-m", "ocrlite", "predict", str(tmp_path / "a.png")],
                         env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split("\t")[1] == LINES[2]


SHIPPED_ONNX = [p for p in sorted(WEIGHTS_DIR.glob("*.onnx")) + sorted(REPO_WEIGHTS_DIR.glob("*.onnx"))
                if p.name not in ("detector.onnx", "line_turn.onnx")]  # the page models are not exports of a recognizer .pt


@pytest.mark.skipif(not SHIPPED_ONNX, reason="no shipped ONNX model")
@pytest.mark.parametrize("onnx_path", SHIPPED_ONNX, ids=[p.name for p in SHIPPED_ONNX])
def test_shipped_onnx_matches_shipped_checkpoint(onnx_path):
    """weights/NAME.onnx must be the export of weights/NAME.pt: same charset and preprocessing;
    fp32: logits within 1e-3; int8 (stated margin): the same text on ≥ 90 % of 50 varied rendered lines
    and a CER at most 1 point above the checkpoint's."""
    torch_rec = Recognizer.load(onnx_path.with_suffix(".pt"))
    onnx_rec = OnnxRecognizer.load(onnx_path)
    assert onnx_rec.charset.chars == torch_rec.charset.chars
    assert onnx_rec.preprocess == torch_rec.preprocess
    sampler, rng = TextSampler(torch_rec.charset, max_length=40), np.random.default_rng(5)
    truths = [sampler.sample(rng) for _ in range(50)]
    images = [torch_rec.prepare(render_clean(t, size=int(rng.integers(18, 36)))) for t in truths]
    if onnx_rec.int8 is None:
        for x in images:
            assert np.abs(torch_rec.logits(x[None, None]) - onnx_rec.logits(x[None, None])).max() <= 1e-3
        return
    torch_texts = [p.text for p in torch_rec.predict_sorted(images, 16)]
    onnx_texts = [p.text for p in onnx_rec.predict_sorted(images, 16)]
    assert sum(a == b for a, b in zip(torch_texts, onnx_texts)) >= 45, list(zip(torch_texts, onnx_texts))
    assert score(onnx_texts, truths).cer <= score(torch_texts, truths).cer + 0.01
