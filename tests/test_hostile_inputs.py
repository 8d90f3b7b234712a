"""Hostile inputs, damaged label files, interrupted and disk-full saves, and fuzzing."""

import io
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from ocrlite.nn import checkpoint as checkpoint_module
from ocrlite.nn.checkpoint import atomic_save, read_checkpoint
from ocrlite.cli import main
from ocrlite.inputs.images import ImageLoadError, load_gray
from ocrlite.api.torch_recognizer import Recognizer
from ocrlite.recognition.preprocess import ImageTooWideError, PreprocessConfig, prepare

from conftest import render_clean
from helpers import png_header_only


def _jpeg_bytes(image: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="JPEG", **kw)
    return buf.getvalue()


@pytest.fixture()
def hostile_dir(tmp_path):
    """Good and bad inputs side by side; returns (folder, good names, bad names)."""
    d = tmp_path / "in"
    d.mkdir()
    line = render_clean("hello world")
    good = {}
    line.save(d / "plain.png")
    good["plain.png"] = True
    Image.new("L", (1, 1), 255).save(d / "one_pixel.png")
    Image.new("L", (3, 200), 255).save(d / "thin_tall.png")
    Image.fromarray((np.asarray(line, np.uint16) * 257)).save(d / "sixteen_bit.png")
    line.convert("P").save(d / "palette.png")
    rgba = Image.new("RGBA", line.size, (0, 0, 0, 0))
    rgba.putalpha(Image.eval(line, lambda v: 255 - v))
    rgba.save(d / "transparent.png")
    line.convert("CMYK").save(d / "cmyk.jpg")
    frames = [line.convert("P"), Image.new("P", line.size, 0)]
    frames[0].save(d / "animated.gif", save_all=True, append_images=frames[1:], duration=100)
    exif = Image.Exif()
    exif[0x0112] = 6
    (d / "rotated.jpg").write_bytes(_jpeg_bytes(line.rotate(90, expand=True), exif=exif.tobytes()))
    line.rotate(90, expand=True).save(d / "rotated.png", exif=exif.tobytes())  # lossless, for reading checks
    line.crop((0, 0, 20, line.height)).resize((20, 300)).save(d / "tall_crop.png")
    line.save(d / "with space.png")
    line.save(os.path.join(os.fsencode(d), b"caf\xe9-latin1.png"))  # not valid UTF-8
    for name in ("plain.png", "one_pixel.png", "thin_tall.png", "sixteen_bit.png", "palette.png", "transparent.png",
                 "cmyk.jpg", "animated.gif", "rotated.jpg", "rotated.png", "tall_crop.png", "with space.png"):
        good[name] = True
    png = (d / "plain.png").read_bytes()
    (d / "zero.png").write_bytes(b"")
    (d / "truncated.png").write_bytes(png[: len(png) // 2])
    jpg = _jpeg_bytes(line)
    (d / "truncated.jpg").write_bytes(jpg[: len(jpg) // 2])
    (d / "random.png").write_bytes(os.urandom(2048))
    (d / "text.jpg").write_text("this is not an image\n")
    (d / "folder.png").mkdir()
    Image.new("L", (40_000, 40), 255).save(d / "strip.png")
    (d / "bomb.png").write_bytes(png_header_only(20_000, 20_000))
    bad = ["zero.png", "truncated.png", "truncated.jpg", "random.png", "text.jpg", "folder.png", "strip.png", "bomb.png"]
    return d, good, bad


def test_predict_survives_every_hostile_input(trained_checkpoint, hostile_dir, capsysbinary):
    folder, good, bad = hostile_dir
    args = [str(folder / n) for n in sorted(good)] + [str(folder / n) for n in bad] + [str(folder / "missing.png")]
    args.append(os.fsdecode(os.path.join(os.fsencode(folder), b"caf\xe9-latin1.png")))
    code = main(["predict", *args, "--weights", str(trained_checkpoint)])
    out, err = capsysbinary.readouterr()
    assert code == 1
    out_lines = out.splitlines()
    assert len(out_lines) == len(good) + 1  # + the latin-1 name
    assert out_lines[-1].startswith(os.path.join(os.fsencode(folder), b"caf\xe9-latin1.png") + b"\t")
    err_text = err.decode("utf-8", "backslashreplace")
    for name in bad + ["missing.png"]:
        lines = [ln for ln in err_text.splitlines() if f"{name}:" in ln]
        assert len(lines) == 1, (name, err_text)
    assert "empty file" in err_text and "truncated" in err_text and "directory" in err_text
    assert "split it" in err_text and ("bomb" in err_text or "MP limit" in err_text) and "no such file" in err_text
    assert f"{len(bad) + 1} of {len(args)} inputs failed" in err_text


def test_predict_exit_zero_when_all_good(trained_checkpoint, hostile_dir, capsys):
    folder, good, _ = hostile_dir
    assert main(["predict", str(folder / "plain.png"), str(folder / "cmyk.jpg"), "--weights",
                 str(trained_checkpoint)]) == 0


def test_transparent_and_rotated_lines_are_read(trained_checkpoint, hostile_dir):
    folder, _, _ = hostile_dir
    rec = Recognizer.load(trained_checkpoint)
    texts = [p.text for p in rec.predict([folder / "plain.png", folder / "transparent.png", folder / "rotated.png",
                                          folder / "sixteen_bit.png", folder / "palette.png"])]
    assert texts == ["hello world"] * 5


def test_damaged_label_file_is_summarised(trained_checkpoint, tmp_path, capsys):
    render_clean("hello world").save(tmp_path / "a.png")
    rows = ["a.png\thello world", "", "no tab here", "a.png\t", "missing.png\thello", "a.png\thello world"]
    (tmp_path / "labels.tsv").write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode() + b"\r\n")
    assert main(["eval", str(tmp_path), "--weights", str(trained_checkpoint), "--json"]) == 0
    captured = capsys.readouterr()
    assert '"lines": 2' in captured.out
    err = captured.err
    assert "blank line (line 2)" in err and "no tab" in err and "(line 3)" in err
    assert "empty label (line 4)" in err and "image file missing (line 5)" in err
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "labels.tsv").write_text("\n\nnothing\n")
    assert main(["eval", str(tmp_path / "empty"), "--weights", str(trained_checkpoint)]) == 1
    assert "no usable rows" in capsys.readouterr().err


def test_training_skips_labels_outside_the_charset(tmp_path, capsys):
    render_clean("hello world").save(tmp_path / "a.png")
    (tmp_path / "labels.tsv").write_text("a.png\thello world\na.png\tcafé ☕\n", encoding="utf-8")
    from ocrlite.training.trainer import TrainConfig, Trainer

    trainer = Trainer(TrainConfig(out=str(tmp_path / "run"), train_data=[str(tmp_path)], synth_ratio=0.5, val_size=2,
                                  workers=0, backbone_kwargs={"width_mult": 0.25, "middle_blocks": 1}, hidden_size=32))
    assert len(trainer.real) == 1
    assert "outside the charset" in capsys.readouterr().err


def test_disk_full_during_save_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    atomic_save({"format": "ocrlite", "v": 1}, path)
    before = path.read_bytes()

    def full_disk(obj, f, *a, **k):
        f.write(b"partial data")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint_module.torch, "save", full_disk)
    with pytest.raises(OSError):
        atomic_save({"format": "ocrlite", "v": 2}, path)
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]  # no temp file left behind


def test_killed_five_times_then_finished(tmp_path):
    out = tmp_path / "run"
    base = [sys.executable, "-m", "ocrlite", "train", "--backbone", "mobilenet", "--backbone-kw", "width_mult=0.25",
            "middle_blocks=1", "--hidden-size", "32", "--batch-size", "4", "--val-size", "8", "--workers", "0",
            "--threads", "1", "--out", str(out), "--steps", "60", "--save-every", "1", "--val-every", "30"]
    rnd = random.Random(0)
    for attempt in range(5):
        cmd = base + (["--resume"] if attempt else [])
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        start = time.time()
        while time.time() - start < 240 and not (out / "last.pt").exists():
            time.sleep(0.1)
        time.sleep(rnd.uniform(0.2, 2.5))  # a random moment, often mid-save (one save per step)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        read_checkpoint(out / "last.pt")  # loadable after every kill
    assert subprocess.run(base + ["--resume"], capture_output=True).returncode == 0
    assert read_checkpoint(out / "last.pt")["resume"]["step"] == 60


# ----------------------------------------------------------------------------- fuzzing
MODES = ["L", "1", "P", "RGB", "RGBA", "LA", "CMYK", "I;16", "I", "F"]
FORMATS = {"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif", "BMP": ".bmp", "TIFF": ".tif", "WEBP": ".webp"}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=0, max_size=600), suffix=st.sampled_from(sorted(FORMATS.values())))
def test_fuzz_random_bytes_only_raise_image_errors(tmp_path, data, suffix):
    path = tmp_path / f"x{suffix}"
    path.write_bytes(data)
    try:
        gray = load_gray(path)
    except ImageLoadError:
        return
    prepare(gray, PreprocessConfig()) if gray.shape[1] * 32 / gray.shape[0] <= 4096 else None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mode=st.sampled_from(MODES), w=st.integers(1, 700), h=st.integers(1, 150), seed=st.integers(0, 2**16),
       fmt=st.sampled_from(sorted(FORMATS)), cut=st.floats(0.0, 1.0))
def test_fuzz_valid_and_cut_images(tmp_path, mode, w, h, seed, fmt, cut):
    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(0, 256, (h, w), dtype=np.uint8)).convert(mode if mode != "I;16" else "I")
    buf = io.BytesIO()
    try:
        image.save(buf, format=fmt)
    except (OSError, ValueError, KeyError):
        return  # this format cannot store this mode: nothing to test
    data = buf.getvalue()
    if cut < 0.3:
        data = data[: int(len(data) * cut / 0.3)]
    path = tmp_path / f"f{FORMATS[fmt]}"
    path.write_bytes(data)
    try:
        out = prepare(load_gray(path), PreprocessConfig())
    except (ImageLoadError, ImageTooWideError):
        return
    assert out.shape[0] == 32 and out.shape[1] % 4 == 0 and np.isfinite(out).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blobs=st.lists(st.binary(max_size=300), min_size=1, max_size=4))
def test_fuzz_predict_paths_never_raises(tmp_path, trained_checkpoint, blobs):
    rec = _recognizer(trained_checkpoint)
    paths = []
    for i, blob in enumerate(blobs):
        p = tmp_path / f"b{i}.png"
        p.write_bytes(blob)
        paths.append(str(p))
    render_clean("ok").save(tmp_path / "good.png")
    results = list(rec.predict_paths(paths + [str(tmp_path / "good.png")]))
    assert len(results) == len(paths) + 1 and results[-1].prediction is not None


_REC: dict = {}


def _recognizer(path):
    if path not in _REC:
        torch.set_num_threads(1)
        _REC[path] = Recognizer.load(path)
    return _REC[path]
