"""A new user's first hour: list comments, one pixel limit, errors that name the file, models by name,
help on every option, honest page messages, --allow keeping spaces, a short run's warm-up."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import png_header_only as bomb_png
from ocrlite.cli import build_parser, main

REPO = Path(__file__).resolve().parents[1]
RECEIPT = REPO / "docs" / "receipt_page.jpg"


def test_comment_lines_in_a_list_file_are_skipped(tmp_path, line_images):
    line_images[0][0].save(tmp_path / "a.png")
    (tmp_path / "list.txt").write_text("# my lines\na.png\n\n  # indented comment\n")
    from ocrlite.inputs.lists import expand_inputs

    items = expand_inputs([str(tmp_path / "list.txt")])
    assert [Path(i.path).name for i in items] == ["a.png"] and not items[0].error


def test_api_errors_name_the_file(tmp_path, line_images):
    import ocrlite
    from ocrlite.inputs.images import ImageLoadError

    line_images[0][0].save(tmp_path / "a.png")
    reader = ocrlite.load()
    with pytest.raises(ImageLoadError, match="nope.png: no such file") as info:
        reader.predict([str(tmp_path / "a.png"), str(tmp_path / "nope.png")])
    assert info.value.reason == "no such file"
    with pytest.raises(ImageLoadError, match="nope.png: no such file"):
        reader.read_page(str(tmp_path / "nope.png"))


def test_one_pixel_limit_one_message_for_lines_and_pages(tmp_path, capsys):
    """A 150 MP image: the same message in line and page mode (Pillow's own wording never reaches the user),
    and --max-pixels raises the limit past what the image declares."""
    (tmp_path / "big.png").write_bytes(bomb_png(15_000, 10_000))
    for mode in ([], ["--page"]):
        assert main(["predict", *mode, str(tmp_path / "big.png")]) == 1
        err = capsys.readouterr().err
        assert "over the 120 MP limit (--max-pixels" in err and "DOS attack" not in err, err
    (tmp_path / "huge.png").write_bytes(bomb_png(20_000, 20_000))  # 400 MP: past Pillow's own cap too
    assert main(["predict", "--page", str(tmp_path / "huge.png")]) == 1
    assert "400 MP, over the 120 MP limit" in capsys.readouterr().err
    assert main(["predict", "--max-pixels", "100", str(tmp_path / "big.png")]) == 1
    assert "over the 0.0001 MP limit" in capsys.readouterr().err


def test_shipped_models_by_name_from_any_folder(tmp_path, line_images):
    line_images[0][0].save(tmp_path / "a.png")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    listing = subprocess.run([sys.executable, "-m", "ocrlite", "models"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, check=True).stdout
    assert listing.splitlines()[1].startswith("default\txception") and "\nfast\tmobilenet" in listing
    out = subprocess.run([sys.executable, "-m", "ocrlite", "predict", "--weights", "fast", "a.png"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, check=True).stdout
    assert out.startswith("a.png\t")
    import ocrlite

    assert ocrlite.load("fast").charset.num_classes < ocrlite.load("default").charset.num_classes


def test_fine_tune_from_the_default_by_name_with_a_warm_up_longer_than_the_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status = main(["train", "--init", "default", "--out", "run", "--steps", "1", "--batch-size", "2",
                   "--val-every", "1", "--val-size", "2", "--workers", "0", "--threads", "1"])
    err = capsys.readouterr().err
    assert status == 0, err
    assert "--warmup 300 is not shorter than the run's 1 steps; warming up for 1" in err
    assert (tmp_path / "run" / "last.pt").is_file()


def test_every_option_of_every_command_explains_itself():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, sub in commands.items():
        assert sub.description, f"ocrlite {name} has no description"
        for action in sub._actions:
            if not isinstance(action, argparse._HelpAction):
                assert action.help, f"ocrlite {name} {action.option_strings or action.dest} has no help"
    assert "--page" in commands["predict"].description
    serve_help = commands["serve"].format_help()
    assert "default: True" not in serve_help
    assert "(default: 300)" in " ".join(commands["train"].format_help().split())


def test_allow_keeps_the_spaces_between_words_unless_blocked():
    from ocrlite.recognition.charset import Charset
    from ocrlite.recognition.decode import class_mask

    charset = Charset.default()
    space = charset.chars.index(" ") + 1
    assert class_mask(charset, allow="0123456789.,")[space]
    assert not class_mask(charset, allow="0123456789.,", block=" ")[space]


def test_a_page_whose_lines_read_as_nothing_says_so(capsys, monkeypatch):
    """Lines found but read as nothing (a picture, a script the model does not know) is not "no lines"."""
    from ocrlite.recognition.decode import Prediction
    from ocrlite.recognition.reader import BaseRecognizer

    monkeypatch.setattr(BaseRecognizer, "predict_sorted", lambda self, prepared, batch_size: [
        Prediction("", 0.1, []) for _ in prepared])
    assert main(["predict", "--page", "--detector", "classic", str(RECEIPT)]) == 1
    assert "line(s) found, but none reads as text" in capsys.readouterr().err


def test_export_int8_prints_no_third_party_advice(tmp_path, trained_checkpoint):
    out = subprocess.run([sys.executable, "-m", "ocrlite", "export", "--weights", str(trained_checkpoint), "--out",
                          str(tmp_path / "m.onnx"), "--int8"], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr
    assert "pre-processing" not in out.stderr and "http" not in out.stderr


def test_per_character_report_aligns_and_counts_confusions(tmp_path, capsys):
    from ocrlite.evaluation.by_char import align, char_report, report_rows

    assert align("hôtel", "hötel") == [("h", "h"), ("ô", "ö"), ("t", "t"), ("e", "e"), ("l", "l")]
    assert align("Ça", "a") == [("Ç", None), ("a", "a")]
    stats = char_report(["hötel", "hôtel", "Ca"], ["hôtel", "hôtel", "Ça"])
    assert stats["ô"].count == 2 and stats["ô"].recall == 0.5 and stats["ö"].precision == 0.0
    rows = report_rows(stats, target=0.98)
    assert rows[0]["char"] in "ôÇ" and "ô→ö 1" in next(r["confusions"] for r in rows if r["char"] == "ô")
    assert next(r for r in rows if r["char"] == "Ç")["confusions"] == "Ç→C 1"
