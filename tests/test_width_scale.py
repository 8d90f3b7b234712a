"""width_scale and trim_to_text: stored in checkpoints and ONNX files, overridable per command, tuned by a script."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from ocrlite.cli import _load_recognizer, build_parser, main
from ocrlite.api.torch_recognizer import Recognizer

ROOT = Path(__file__).resolve().parent.parent


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "ship" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tune_picks_the_scale_the_model_was_trained_at(trained_checkpoint, line_images):
    """The fixture model memorised its lines at scale 1.0; squeezing them to 0.6 must cost CER."""
    tune = _script("tune_width_scale").tune
    rec = Recognizer.load(trained_checkpoint)
    grays = [np.asarray(im) for im, _ in line_images]
    best, rows = tune(rec, {"lines": (grays, [t for _, t in line_images])}, [0.6, 1.0], fold_case=False)
    assert (best["width_scale"], best["trim_to_text"]) == (1.0, False)
    assert rows[0]["lines"] > rows[1]["lines"] + 0.1, rows
    assert rec.preprocess.width_scale == 1.0  # restored


def test_tune_tries_both_trim_settings(trained_checkpoint, line_images):
    """Every factor × trim setting is scored; trimmed, two loose framings of a line are the same input."""
    tune = _script("tune_width_scale").tune
    rec = Recognizer.load(trained_checkpoint)
    tight = [np.asarray(im) for im, _ in line_images]
    loose = [np.pad(g, ((40, 40), (0, 0)), constant_values=255) for g in tight]
    looser = [np.pad(g, ((30, 70), (0, 0)), constant_values=255) for g in tight]
    truths = [t for _, t in line_images]
    best, rows = tune(rec, {"tight": (tight, truths), "loose": (loose, truths), "looser": (looser, truths)}, [1.0],
                      fold_case=False, trims=[False, True])
    assert [(r["width_scale"], r["trim_to_text"]) for r in rows] == [(1.0, False), (1.0, True)]
    assert rows[1]["loose"] == rows[1]["looser"]
    assert rows[0]["tight"] < 0.05 and rows[0]["loose"] > 0.3  # the model knows its lines, not a third their size
    assert best is min(rows, key=lambda r: r["mean"])
    assert rec.preprocess.trim_to_text is False  # restored


def test_shipped_scale_travels_to_onnx_and_cli_override(tmp_path, trained_checkpoint, labelled_set, capsys):
    shipped = tmp_path / "shipped.pt"
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "ship" / "ship_weights.py"), str(trained_checkpoint),
                          str(shipped), "--width-scale", "1.25", "--trim-to-text"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    rec = Recognizer.load(shipped)
    assert rec.preprocess.width_scale == 1.25 and rec.preprocess.trim_to_text is True
    assert rec.prepare(np.full((20, 100), 255, np.uint8)).shape == (32, 200)  # 100·32/20·1.25
    if importlib.util.find_spec("onnxruntime") and importlib.util.find_spec("onnx"):
        from ocrlite.nn.export import export_onnx
        from ocrlite.api.onnx_recognizer import OnnxRecognizer

        export_onnx(shipped, tmp_path / "m.onnx")
        assert OnnxRecognizer.load(tmp_path / "m.onnx").preprocess == rec.preprocess

    def cer(*extra: str) -> float:
        assert main(["eval", str(labelled_set), "--weights", str(trained_checkpoint), "--json", *extra]) == 0
        return json.loads(capsys.readouterr().out)[0]["cer"]

    assert cer("--width-scale", "0.6") > cer() + 0.1
    for extra, trim in (([], True), (["--no-trim-to-text"], False), (["--trim-to-text"], True)):
        args = build_parser().parse_args(["eval", str(labelled_set), "--weights", str(shipped), *extra])
        assert _load_recognizer(args).preprocess.trim_to_text is trim
    assert main(["eval", str(labelled_set), "--weights", str(trained_checkpoint), "--width-scale", "0"]) == 2
    assert "width_scale" in capsys.readouterr().err
