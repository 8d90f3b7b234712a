"""The line-turn classifier (is a line upside down?): its input windows, network, export, training and resume,
the shipped model on lines it never saw, and how the page reader uses it."""

from __future__ import annotations

import numpy as np
import pytest

from ocrlite.recognition.line_turn import (INPUT_HEIGHT, MAX_WINDOWS, WINDOW, LineTurnModelError, OnnxLineTurn,
                                          default_line_turn, line_windows, mean_by_owner)


def _text_crop(text: str = "Quality jumps over lazy dogs", size: int = 28, light_on_dark: bool = False) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    from ocrlite.synth.fonts import FONT_DIR

    font = ImageFont.truetype(str(sorted(FONT_DIR.glob("DejaVuSans.ttf"))[0]), size)
    w = int(font.getlength(text)) + 20
    image = Image.new("L", (w, size * 2), 0 if light_on_dark else 255)
    ImageDraw.Draw(image).text((10, size // 3), text, font=font, fill=255 if light_on_dark else 0)
    return np.asarray(image)


def test_a_short_line_is_one_centred_window_and_a_long_one_three():
    short = line_windows(_text_crop("Hi"))
    long = line_windows(_text_crop("A long line of printed text that is many windows wide " * 2))
    assert short.shape == (1, INPUT_HEIGHT, WINDOW) and long.shape == (MAX_WINDOWS, INPUT_HEIGHT, WINDOW)
    assert -1.0 <= short.min() and short.max() <= 1.0
    ink_columns = np.flatnonzero((short[0] < 0).any(axis=0))
    assert abs((ink_columns[0] + ink_columns[-1]) / 2 - WINDOW / 2) < 12  # centred on its background
    with pytest.raises(ValueError, match="2-D"):
        line_windows(np.zeros((0, 5), np.uint8))


def test_light_text_on_a_dark_ground_reaches_the_network_as_dark_on_light():
    dark, light = line_windows(_text_crop(light_on_dark=True)), line_windows(_text_crop())
    assert dark.shape == light.shape
    assert np.abs(dark - light).mean() < 0.05


def test_window_logits_are_averaged_per_line():
    p = mean_by_owner(np.array([4.0, -2.0, 0.0, 10.0]), np.array([0, 0, 1, 2]), 4)
    assert p[0] == pytest.approx(1 / (1 + np.exp(-1.0))) and p[1] == pytest.approx(0.5) and p[2] > 0.99
    assert p[3] == pytest.approx(0.5)  # a line without windows says nothing


def test_export_reads_like_torch_and_foreign_files_are_refused(tmp_path):
    import torch

    from ocrlite.nn.line_turn import LineTurnConfig, LineTurnNet, export_line_turn, line_turn_checkpoint

    torch.manual_seed(0)
    model = LineTurnNet(LineTurnConfig((8, 8, 16, 16))).eval()
    torch.save(line_turn_checkpoint(model), tmp_path / "lt.pt")
    export_line_turn(tmp_path / "lt.pt", tmp_path / "lt.onnx")
    crops = [_text_crop(), _text_crop("x"), _text_crop("wide " * 30)]
    onnx_model = OnnxLineTurn.load(tmp_path / "lt.onnx")
    onnx_p = onnx_model.turned_probability(crops)
    assert np.allclose(onnx_model.turned_probability(crops, batch_size=1), onnx_p, atol=1e-6)  # chunks change nothing
    assert onnx_model.turned_probability([]).shape == (0,)
    from ocrlite.recognition.line_turn import batch_windows

    x, owners = batch_windows(crops)
    with torch.no_grad():
        torch_p = mean_by_owner(model(torch.from_numpy(x)).numpy().astype(np.float64), owners, len(crops))
    assert np.allclose(onnx_p, torch_p, atol=1e-4)
    with pytest.raises(LineTurnModelError, match="no such"):
        OnnxLineTurn.load(tmp_path / "missing.onnx")
    (tmp_path / "bad.onnx").write_bytes(b"not onnx")
    with pytest.raises(LineTurnModelError, match="bad.onnx"):
        OnnxLineTurn.load(tmp_path / "bad.onnx")


def test_line_turn_training_resumes_exactly(tmp_path):
    """Stopping at step 2 and resuming to 4 gives the weights of an uninterrupted 4-step run."""
    import torch

    from ocrlite.training.config import RunDirError
    from ocrlite.training.line_turn_trainer import LineTurnTrainConfig, train_line_turn

    def cfg(out):
        return LineTurnTrainConfig(out=str(out), channels=(8, 8, 16, 16), steps=4, batch_size=4, warmup=1,
                                   val_every=100, save_every=1, val_lines=2, workers=0, threads=1)

    train_line_turn(cfg(tmp_path / "a"))
    train_line_turn(cfg(tmp_path / "b"), stop_at=2)
    assert torch.load(tmp_path / "b" / "last.pt", weights_only=True)["resume"]["step"] == 2
    train_line_turn(cfg(tmp_path / "b"), resume=True)
    a = torch.load(tmp_path / "a" / "last.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "b" / "last.pt", weights_only=True)["state_dict"]
    assert all(torch.allclose(a[k].float(), b[k].float(), atol=1e-5) for k in a)
    with pytest.raises(RunDirError, match="not empty"):
        train_line_turn(cfg(tmp_path / "a"))
    with pytest.raises(ValueError, match="--real-ratio"):
        train_line_turn(LineTurnTrainConfig(out=str(tmp_path / "c"), real_ratio=2.0))


def test_the_shipped_classifier_tells_turned_lines_in_unseen_faces():
    """Lines of held-out faces (damaged as in training): most turned ones caught, hardly any upright one turned."""
    from ocrlite.pages.learned import LINE_TURN_P
    from ocrlite.recognition.charset import CHARSET_V2, Charset
    from ocrlite.synth.fonts import HOLDOUT_FONT_DIR
    from ocrlite.synth.generator import GeneratorConfig, LineGenerator

    turn = default_line_turn()
    assert turn is not None, "the package ships models/line_turn.onnx"
    generator = LineGenerator(Charset(CHARSET_V2), GeneratorConfig(fonts=HOLDOUT_FONT_DIR,
                                                                   text_weights={"prose": 1.0, "eu_prose": 1.0}))
    crops = [generator.generate(5, i)[0] for i in range(60)]
    upright = turn.turned_probability(crops)
    turned = turn.turned_probability([c[::-1, ::-1] for c in crops])
    assert np.mean(upright >= LINE_TURN_P) <= 0.05
    assert np.mean(turned >= LINE_TURN_P) >= 0.7


def test_a_line_is_turned_only_when_the_classifier_is_sure_and_it_reads_no_worse():
    from ocrlite.pages.learned import lines_to_turn
    from ocrlite.pages.long_lines import CropReading
    from ocrlite.recognition.decode import Prediction

    class FixedTurn:  # crops 0, 1, 2 as the reader hands them over: 0.99 turned, 0.99, 0.2
        def turned_probability(self, crops):
            return np.array([0.99, 0.99, 0.2, 0.99])[[int(c[0, 1]) for c in crops]]

    class Reader:  # reads every crop it is given at the confidence written in its first pixel
        def __init__(self):
            self.seen = 0

        def read_located(self, crops):
            self.seen += len(crops)
            return [CropReading(Prediction("t", float(c[0, 0]) / 100, [float(c[0, 0]) / 100]), [0]) for c in crops]

    def crop(index: int, up: int, down: int) -> np.ndarray:
        c = np.full((8, 8), up, np.uint8)
        c[0, 1] = index
        c[-1, -1] = down  # the first pixel once turned round
        return c

    crops = [crop(0, 50, 60), crop(1, 50, 40), crop(2, 50, 90), crop(3, 97, 99)]
    reads = [CropReading(Prediction("u", c[0, 0] / 100, [c[0, 0] / 100]), [0]) for c in crops]
    import ocrlite.pages.learned as learned

    reader = Reader()
    original = learned._read
    learned._read = lambda rec, cs, bs: rec.read_located(cs)
    try:
        turned = lines_to_turn(reader, crops, reads, FixedTurn())
    finally:
        learned._read = original
    # The second reads no better turned; the third is never read turned (the classifier says upright); the fourth
    # is never shown to the classifier (it reads surely upright).
    assert list(turned) == [0] and reader.seen == 2


def test_the_commands_name_a_bad_option_and_list_the_classifier(tmp_path, capsys):
    import json

    import torch

    from ocrlite.cli import main
    from ocrlite.nn.line_turn import LineTurnConfig, LineTurnNet, line_turn_checkpoint

    assert main(["train-line-turn", "--out", str(tmp_path / "run"), "--real-ratio", "2"]) == 2
    assert "--real-ratio must be in [0, 1]" in capsys.readouterr().err
    torch.save(line_turn_checkpoint(LineTurnNet(LineTurnConfig((8, 8, 16, 16)))), tmp_path / "lt.pt")
    assert main(["export", "--weights", str(tmp_path / "lt.pt"), "--out", str(tmp_path / "lt.onnx"), "--int8"]) == 2
    assert "fp32 only" in capsys.readouterr().err
    assert main(["export", "--weights", str(tmp_path / "lt.pt"), "--out", str(tmp_path / "lt.onnx")]) == 0
    assert OnnxLineTurn.load(tmp_path / "lt.onnx").info["model"]["channels"] == [8, 8, 16, 16]
    capsys.readouterr()
    assert main(["models", "--json"]) == 0
    assert "line_turn" in [row["name"] for row in json.loads(capsys.readouterr().out)]
