"""`ocrlite predict` as a user runs it: folders, list files, broken images, formats, exit codes."""

import json

import pytest
from ocrlite.recognition import zoo as weights_module
from ocrlite.cli import main



@pytest.fixture()
def image_dir(tmp_path, line_images):
    folder = tmp_path / "lines"
    folder.mkdir()
    for i, (image, _) in enumerate(line_images[:4]):
        image.save(folder / f"{i:02d}.png")
    (folder / "notes.md").write_text("not an image")
    return folder


def test_predict_folder_in_sorted_order(trained_checkpoint, image_dir, line_images, capsys):
    assert main(["predict", str(image_dir), "--weights", str(trained_checkpoint), "--batch-size", "3"]) == 0
    rows = [ln.split("\t") for ln in capsys.readouterr().out.splitlines()]
    assert [r[0] for r in rows] == [str(image_dir / f"{i:02d}.png") for i in range(4)]
    assert [r[1] for r in rows] == [t for _, t in line_images[:4]]
    assert all(0.0 <= float(r[2]) <= 1.0 for r in rows)


def test_predict_list_file_with_broken_image(trained_checkpoint, image_dir, tmp_path, capsys):
    (image_dir / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    listing = tmp_path / "list.tsv"
    listing.write_text(f"lines/01.png\tignored label\n\nlines/broken.png\nlines/missing.png\n{image_dir / '00.png'}\n")
    code = main(["predict", str(listing), "--weights", str(trained_checkpoint)])
    out, err = capsys.readouterr()
    assert code == 1
    assert [ln.split("\t")[0] for ln in out.splitlines()] == [str(tmp_path / "lines/01.png"), str(image_dir / "00.png")]
    assert "broken.png" in err and "missing.png: no such file" in err
    assert "2 of 4 inputs failed" in err


def test_predict_json(trained_checkpoint, image_dir, capsys):
    assert main(["predict", str(image_dir / "00.png"), "--weights", str(trained_checkpoint), "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records[0]["text"] == "hello world"
    assert len(records[0]["char_confidences"]) == len("hello world")


def test_predict_without_default_weights_exits_2(tmp_path, monkeypatch, image_dir, capsys):
    monkeypatch.setattr(weights_module, "WEIGHTS_DIR", tmp_path / "none")
    assert main(["predict", str(image_dir)]) == 2
    err = capsys.readouterr().err
    assert "no default model" in err and len(err.strip().splitlines()) == 1


def test_predict_bad_weights_exits_2(tmp_path, image_dir, capsys):
    (tmp_path / "bad.pt").write_bytes(b"nope")
    assert main(["predict", str(image_dir), "--weights", str(tmp_path / "bad.pt")]) == 2
    assert "bad.pt" in capsys.readouterr().err


def test_predict_beam_and_allow(trained_checkpoint, image_dir, capsys, tmp_path):
    lexicon = tmp_path / "words.txt"
    lexicon.write_text("hello\nworld\n")
    assert main(["predict", str(image_dir / "00.png"), "--weights", str(trained_checkpoint), "--decoder", "beam",
                 "--beam-width", "4", "--lexicon", str(lexicon)]) == 0
    assert capsys.readouterr().out.split("\t")[1] == "hello world"
    assert main(["predict", str(image_dir / "02.png"), "--weights", str(trained_checkpoint), "--allow", "0123"]) == 0
    assert set(capsys.readouterr().out.split("\t")[1]) <= set("0123 ")  # spaces kept unless blocked
    assert main(["predict", str(image_dir), "--weights", str(trained_checkpoint), "--allow", "é"]) == 2
    assert "does not know" in capsys.readouterr().err
