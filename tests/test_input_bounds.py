"""Bounds on inputs and outputs: one test per class of fault (docs/robustness.md lists the classes and bounds).

Damaged data sets, unbounded inputs, outputs written onto inputs, data sets reaching outside their
folder, tracebacks on bad environments and API types, and answers that were silently wrong.
(Batch invariance has its own file, tests/test_batch_invariance.py.)
"""

import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ocrlite.recognition.charset import Charset
from ocrlite.nn.checkpoint import CheckpointError, atomic_save, checkpoint_dict, load_checkpoint
from ocrlite.cli import main
from ocrlite.datasets.line_sets import LabelFileError, read_label_set
from ocrlite.utils.limits import MAX_BATCH
from ocrlite.recognition.preprocess import PreprocessConfig

from conftest import LINES, render_clean
from helpers import save_tiny_checkpoint, tiny_config

REPO = Path(__file__).resolve().parent.parent
TINY = ["--backbone", "mobilenet", "--backbone-kw", "width_mult=0.25", "middle_blocks=1", "--hidden-size", "32",
        "--batch-size", "4", "--val-size", "8", "--workers", "0", "--threads", "1"]


def _run(args, timeout=240, **kw):
    return subprocess.run([sys.executable, "-m", "ocrlite", *args], capture_output=True, timeout=timeout,
                          cwd=REPO, **kw)


def _write_lmdb(folder: Path, lines, count: int | None = None) -> Path:
    import lmdb

    folder.mkdir(parents=True)
    env = lmdb.open(str(folder), map_size=1 << 26)
    with env.begin(write=True) as txn:
        for i, (image, text) in enumerate(lines, start=1):
            buf = io.BytesIO()
            image.save(buf, format="PNG")
            txn.put(b"image-%09d" % i, buf.getvalue())
            txn.put(b"label-%09d" % i, text.encode())
        txn.put(b"num-samples", str(count if count is not None else len(lines)).encode())
    env.close()
    return folder


# ------------------------------------------------------------------ damaged LMDB sets: one line, the rest goes on
def test_damaged_lmdb_sets_are_refused_and_the_other_sets_still_scored(tmp_path, trained_checkpoint, line_images,
                                                                       capsys):
    good = _write_lmdb(tmp_path / "good", line_images)
    truncated = _write_lmdb(tmp_path / "truncated", line_images)
    size = (truncated / "data.mdb").stat().st_size
    os.truncate(truncated / "data.mdb", size // 2)  # the SIGBUS case: pages past the end of the file
    huge = _write_lmdb(tmp_path / "huge", line_images, count=10**12)  # would loop over records that do not exist
    status = main(["eval", str(truncated), str(huge), str(good), "--weights", str(trained_checkpoint)])
    out, err = capsys.readouterr()
    assert status == 1
    assert "truncated" in err and "holds only" in err
    assert "good\t8\t" in out  # the whole set still scored


def test_bit_flipped_lmdb_never_crashes_the_reader(tmp_path, line_images):
    source = _write_lmdb(tmp_path / "src", line_images)
    data = (source / "data.mdb").read_bytes()
    rng = random.Random(3)
    for k in range(6):
        damaged = bytearray(data)
        for _ in range(40 * (k + 1)):
            i = rng.randrange(len(damaged))
            damaged[i] ^= 0xFF
        folder = tmp_path / f"flip{k}"
        folder.mkdir()
        (folder / "data.mdb").write_bytes(bytes(damaged))
        code = ("import sys\nfrom ocrlite.datasets.line_sets import read_label_set, LabelFileError\n"
                "try:\n  lines, _ = read_label_set(sys.argv[1])\n  [l.load() for l in lines[:3]]\n"
                "except LabelFileError as e: print('refused', e)\nexcept Exception as e: print('error', type(e).__name__)\n")
        res = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, timeout=120,
                             cwd=REPO)
        assert res.returncode == 0, (k, res.returncode, res.stderr[-300:])  # never SIGBUS / SIGSEGV (rc < 0)


# ------------------------------------------------------------------ every input has a bound
@pytest.mark.parametrize("args", [["--threads", "100000"], ["--beam-width", "100000"]])
def test_thread_and_beam_caps_are_usage_errors(args, trained_checkpoint, tmp_path):
    render_clean("abc").save(tmp_path / "a.png")
    res = _run(["predict", str(tmp_path / "a.png"), "--weights", str(trained_checkpoint), *args], timeout=60)
    assert res.returncode == 2 and b"must be <=" in res.stderr


@pytest.mark.parametrize("option", ["--lexicon", "--charset"])
def test_option_files_from_a_device_are_refused_unread(option, trained_checkpoint, tmp_path):
    render_clean("abc").save(tmp_path / "a.png")
    args = ["predict", str(tmp_path / "a.png"), "--weights", str(trained_checkpoint), "--decoder", "beam",
            "--lexicon", "/dev/zero"] if option == "--lexicon" else \
        ["synth", "--out", str(tmp_path / "s"), "--n", "2", "--charset", "/dev/zero"]
    res = _run(args, timeout=60)
    assert res.returncode == 2 and b"not a regular file" in res.stderr and b"Traceback" not in res.stderr


def test_synth_corpus_from_a_device_is_refused(tmp_path):
    res = _run(["synth", "--out", str(tmp_path / "s"), "--n", "2", "--corpus", "/dev/zero"], timeout=60)
    assert res.returncode == 2 and b"not a regular file" in res.stderr


def test_the_api_reads_any_batch_size_in_bounded_batches(trained_checkpoint, line_images, monkeypatch):
    from ocrlite.api.torch_recognizer import Recognizer

    rec = Recognizer.load(trained_checkpoint)
    images = [im for im, _ in line_images] * 40  # 320 lines
    sizes = []
    real = rec.predict_prepared
    monkeypatch.setattr(rec, "predict_prepared", lambda batch: sizes.append(len(batch)) or real(batch))
    preds = rec.predict(images, batch_size=3000)
    assert max(sizes) <= MAX_BATCH and sum(sizes) == len(images)
    assert [p.text for p in preds[:8]] == LINES
    with pytest.raises(ValueError, match="batch_size"):
        rec.predict(images[:2], batch_size=0)


# ------------------------------------------------------------------ nothing a user made is lost or mixed
def _page(tmp_path: Path, name: str = "p.png") -> Path:
    page = Image.new("L", (600, 200), 255)
    for k, text in enumerate(["hello world", "the rest"]):
        page.paste(render_clean(text, size=30), (20, 20 + 70 * k))
    page.save(tmp_path / name)
    return tmp_path / name


def test_draw_onto_the_scan_itself_is_refused_even_with_force(tmp_path, trained_checkpoint):
    scan = _page(tmp_path, "p.png")
    before = scan.read_bytes()
    link = tmp_path / "alias.png"
    os.link(scan, link)  # the same file under another name
    for target in (scan, link, tmp_path / "." / "p.png"):
        res = _run(["predict", "--page", str(scan), "--draw", str(target), "--force", "--weights",
                    str(trained_checkpoint)])
        assert res.returncode == 2 and b"is an input" in res.stderr, res.stderr
    assert scan.read_bytes() == before


def test_drawings_of_pages_with_one_name_do_not_overwrite_each_other(tmp_path, trained_checkpoint):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    pages = [_page(tmp_path / "a"), _page(tmp_path / "b")]
    res = _run(["predict", "--page", *map(str, pages), "--draw", str(tmp_path / "out"), "--weights",
                str(trained_checkpoint)])
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["p.boxes.png", "p.boxes.png-2"] or \
        len(list((tmp_path / "out").iterdir())) == 2


def test_synth_force_replaces_a_set_of_the_other_format_whole(tmp_path):
    out = tmp_path / "set"
    assert main(["synth", "--out", str(out), "--n", "3", "--no-augment"]) == 0
    assert (out / "labels.tsv").is_file()
    assert main(["synth", "--out", str(out), "--n", "3", "--no-augment", "--format", "lmdb", "--force"]) == 0
    assert (out / "data.mdb").is_file() and not (out / "labels.tsv").exists() and not (out / "images").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging or lock left


def test_a_failed_synth_leaves_nothing_that_blocks_its_retry(tmp_path, monkeypatch):
    from ocrlite.synth import writer

    real = writer.generate_lines

    def dies(*args, **kwargs):
        for k, item in enumerate(real(*args, **kwargs)):
            if k == 2:
                raise OSError(28, "No space left on device")
            yield item

    monkeypatch.setattr(writer, "generate_lines", dies)
    out = tmp_path / "set"
    assert main(["synth", "--out", str(out), "--n", "5", "--no-augment"]) == 1
    assert not out.exists() and not list(tmp_path.iterdir())
    monkeypatch.setattr(writer, "generate_lines", real)
    assert main(["synth", "--out", str(out), "--n", "5", "--no-augment"]) == 0  # no --force needed


def test_train_on_a_full_disk_fails_instead_of_claiming_a_last_pt(tmp_path, monkeypatch, capsys):
    from ocrlite.training import run_dir as train_module

    def full(obj, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(train_module, "atomic_save", full)
    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out), "--steps", "2", "--val-every", "2"]) == 1
    err = capsys.readouterr().err
    assert "could not save step 2" in err and "last:" not in err


# ------------------------------------------------------------------ data sets are contained
def test_label_paths_outside_the_set_are_refused_and_counted(tmp_path, line_images):
    outside = tmp_path / "secret.png"
    line_images[0][0].save(outside)
    folder = tmp_path / "set"
    (folder / "images").mkdir(parents=True)
    line_images[1][0].save(folder / "images" / "ok.png")
    (folder / "images" / "link.png").symlink_to(outside)
    rows = ["images/ok.png\tthe rest", "../secret.png\thello world", f"{outside}\thello world",
            "/proc/self/environ\tx", "../../../../etc/passwd\tx", "images/link.png\thello world"]
    (folder / "labels.tsv").write_text("\n".join(rows) + "\n")
    lines, report = read_label_set(folder)
    # contained as written: the label text cannot climb out, a link the user placed inside the set is followed
    assert [line.text for line in lines] == ["the rest", "hello world"]
    assert report.total_skipped == 4 and "outside the set's folder" in report.summary()
    lines, _ = read_label_set(folder, data_root=tmp_path)  # an explicit data root lets them in
    assert len(lines) == 4  # ok, ../secret, the absolute path, the link; /proc and /etc stay out


def test_a_set_whose_images_folder_is_a_link_to_another_disk_is_read(tmp_path, line_images):
    elsewhere = tmp_path / "other_disk" / "images"
    elsewhere.mkdir(parents=True)
    line_images[0][0].save(elsewhere / "a.png")
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "images").symlink_to(elsewhere)
    (folder / "labels.tsv").write_text(f"images/a.png\t{line_images[0][1]}\nimages/../../x.png\tno\n")
    lines, report = read_label_set(folder)
    assert [line.text for line in lines] == [line_images[0][1]] and report.total_skipped == 1


# ------------------------------------------------------------------ one line and the right exit code
def test_draw_with_an_unwritable_format_or_folder_is_one_line(tmp_path, trained_checkpoint, monkeypatch, capsys):
    scan = _page(tmp_path)
    assert main(["predict", "--page", str(scan), "--draw", str(tmp_path / "x.xyz"), "--weights",
                 str(trained_checkpoint)]) == 2
    assert "cannot write a .xyz image" in capsys.readouterr().err
    from ocrlite.utils import outputs

    def read_only(target, data):
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(outputs, "write_bytes_atomic", read_only)
    assert main(["predict", "--page", str(scan), "--draw", str(tmp_path / "ro" / "x.png"), "--weights",
                 str(trained_checkpoint)]) == 1
    err = capsys.readouterr().err
    assert "could not write the drawing (Permission denied)" in err and "Traceback" not in err


def test_results_to_a_full_device_or_closed_stdout_are_one_line(tmp_path, trained_checkpoint):
    render_clean("hello world").save(tmp_path / "a.png")
    base = [sys.executable, "-m", "ocrlite", "predict", str(tmp_path / "a.png"), "--weights", str(trained_checkpoint)]
    with open("/dev/full", "w") as full:
        res = subprocess.run(base, stdout=full, stderr=subprocess.PIPE, timeout=120, cwd=REPO)
    assert res.returncode == 1 and b"cannot write" in res.stderr and b"Traceback" not in res.stderr
    res = subprocess.run(["sh", "-c", '"$@" >&-', "sh", *base], stderr=subprocess.PIPE, timeout=120, cwd=REPO)
    assert res.returncode == 2 and b"standard output is closed" in res.stderr


def test_export_to_an_unwritable_place_is_one_line(tmp_path):
    ck = tmp_path / "m.pt"
    save_tiny_checkpoint(ck, Charset("abc"))
    (tmp_path / "file").write_text("x")
    res = _run(["export", "--weights", str(ck), "--out", str(tmp_path / "file" / "m.onnx")])
    assert res.returncode in (1, 2) and b"Traceback" not in res.stderr and res.stderr.count(b"\n") == 1


def test_onnx_whose_graph_disagrees_with_its_metadata_is_refused(tmp_path, trained_checkpoint):
    pytest.importorskip("onnx")
    import onnx

    from ocrlite.nn.export import export_onnx
    from ocrlite.recognition.onnx_engine import METADATA_KEY, OnnxModelError
    from ocrlite.api.onnx_recognizer import OnnxRecognizer

    export_onnx(trained_checkpoint, tmp_path / "m.onnx")
    model = onnx.load(str(tmp_path / "m.onnx"))
    meta = next(p for p in model.metadata_props if p.key == METADATA_KEY)
    info = json.loads(meta.value)
    info["preprocess"]["height"] = 48
    meta.value = json.dumps(info)
    onnx.save(model, str(tmp_path / "h48.onnx"))
    with pytest.raises(OnnxModelError, match="h48.onnx"):
        OnnxRecognizer.load(tmp_path / "h48.onnx")
    model = onnx.load(str(tmp_path / "m.onnx"))
    model.graph.input[0].type.tensor_type.elem_type = onnx.TensorProto.INT64
    onnx.save(model, str(tmp_path / "int64.onnx"))
    with pytest.raises(OnnxModelError, match="int64.onnx"):
        OnnxRecognizer.load(tmp_path / "int64.onnx")


@pytest.mark.parametrize("bad, error", [(None, TypeError), (np.array([["a"]], dtype=object), TypeError),
                                        (np.zeros((4, 5, 7), np.uint8), ValueError),
                                        (np.full((8, 8), 300, np.int64), ValueError),
                                        (np.full((8, 8), np.nan), ValueError), (np.zeros((0, 5), np.uint8), ValueError)])
def test_wrong_api_inputs_are_clear_errors(trained_checkpoint, bad, error):
    from ocrlite.api.torch_recognizer import Recognizer

    with pytest.raises(error):
        Recognizer.load(trained_checkpoint).predict([bad])


def test_api_takes_paths_pil_and_every_image_array(trained_checkpoint, line_images, tmp_path):
    from ocrlite.api.torch_recognizer import Recognizer

    rec = Recognizer.load(trained_checkpoint)
    image, text = line_images[0]
    gray = np.asarray(image)
    rgb = np.repeat(gray[:, :, None], 3, axis=2)
    image.save(tmp_path / "a.png")
    inputs = [str(tmp_path / "a.png"), tmp_path / "a.png", image, gray, rgb, gray.astype(np.int64), gray / 255.0]
    assert [p.text for p in rec.predict(inputs)] == [text] * len(inputs)
    binary = gray > 127  # bool: True is white
    assert rec.predict(binary)[0] == rec.predict(binary.astype(np.uint8) * 255)[0]
    assert rec.predict(str(tmp_path / "a.png"))[0].text == text  # one path is one image, not its characters
    assert rec.predict(rgb[:, :, ::-1].copy(), channel_order="BGR")[0].text == text


def test_strength_and_unreadable_train_data_are_one_line(tmp_path):
    res = _run(["synth", "--out", str(tmp_path / "s"), "--n", "2", "--strength", "-5"], timeout=60)
    assert res.returncode == 2 and b"--strength" in res.stderr and b"pydantic" not in res.stderr.lower()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "data.mdb").write_bytes(b"\0" * 100)
    res = _run(["train", *TINY, "--out", str(tmp_path / "run"), "--steps", "2", "--train-data", str(broken)])
    assert res.returncode == 2 and b"Traceback" not in res.stderr and b"broken" in res.stderr


# ------------------------------------------------------------------ silently wrong → says what happened
def test_an_upside_down_document_page_is_turned(tmp_path):
    from ocrlite.synth.pages import PageRenderer
    from ocrlite.api import load_recognizer

    rec = load_recognizer(None, "auto", threads=1)
    rec.detector = "classic"  # the classic finder's 180° check (the learned reader's turns: tests/test_detection.py)
    page = PageRenderer().render(np.random.default_rng(2), layout="columns")
    upright = rec.read_page(page.image)
    turned = rec.read_page(np.ascontiguousarray(page.image[::-1, ::-1]))
    assert not upright.rotated_180 and turned.rotated_180
    assert turned.text == upright.text


def test_a_val_set_that_cannot_be_read_is_an_error_not_cer_zero(tmp_path, capsys):
    folder = tmp_path / "val"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "a.png").write_bytes(b"not a png")
    (folder / "labels.tsv").write_text("images/a.png\tabc\n")
    assert main(["train", *TINY, "--out", str(tmp_path / "run"), "--steps", "2", "--val", str(folder)]) == 2
    assert "none of its 1 images could be read" in capsys.readouterr().err


def test_labels_keep_carriage_returns_and_line_separators(tmp_path, line_images):
    folder = tmp_path / "set"
    (folder / "images").mkdir(parents=True)
    line_images[0][0].save(folder / "images" / "a.png")
    (folder / "labels.tsv").write_bytes("images/a.png\tone\u2028two\rthree\r\nimages/a.png\tfour\n".encode())
    lines, _ = read_label_set(folder)
    assert [line.text for line in lines] == ["one\u2028two\rthree", "four"]


def test_json_stays_valid_for_names_that_are_not_utf8(tmp_path, trained_checkpoint, capsysbinary):
    folder = tmp_path / "in"
    folder.mkdir()
    name = os.fsdecode(b"bad\xff.png")
    render_clean("hello world").save(folder / name)
    assert main(["predict", str(folder), "--format", "json", "--weights", str(trained_checkpoint)]) == 0
    records = json.loads(capsysbinary.readouterr().out.decode("utf-8"))
    assert records[0]["path"].endswith("bad\\xff.png")


def test_allow_and_block_that_leave_nothing_are_refused(tmp_path, trained_checkpoint, capsys):
    render_clean("abc").save(tmp_path / "a.png")
    assert main(["predict", str(tmp_path / "a.png"), "--weights", str(trained_checkpoint), "--allow", "abc",
                 "--block", "abc"]) == 2
    assert "leave no character" in capsys.readouterr().err


def test_an_animation_is_read_at_its_first_frame_and_says_so(tmp_path, trained_checkpoint, line_images, capsys):
    frames = [line_images[0][0].convert("P"), line_images[1][0].resize(line_images[0][0].size).convert("P")]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    assert main(["predict", str(tmp_path / "a.gif"), "--weights", str(trained_checkpoint)]) == 0
    out, err = capsys.readouterr()
    assert out.split("\t")[1] == LINES[0] and "has several frames" in err and "only the first is read" in err


@pytest.mark.parametrize("dtype", [torch.bool, torch.int64, torch.complex64])
def test_checkpoints_with_non_float_weights_are_refused(tmp_path, dtype):
    charset = Charset("abc")
    _, cfg = save_tiny_checkpoint(tmp_path / "ok.pt", charset)
    from ocrlite.nn.crnn import build_model

    model = build_model(tiny_config("mobilenet", charset))
    ck = checkpoint_dict(model, cfg, charset, PreprocessConfig())
    name = next(k for k, v in ck["state_dict"].items() if v.is_floating_point())
    ck["state_dict"][name] = ck["state_dict"][name].to(dtype)
    from ocrlite.nn.checkpoint import state_digest

    ck["state_sha256"] = state_digest(ck["state_dict"])  # written that way: the checksum matches, the type does not
    atomic_save(ck, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="a float tensor is needed"):
        load_checkpoint(tmp_path / "bad.pt")


def test_checkpoints_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_save({"format": "ocrlite"}, tmp_path / "a.pt")
    finally:
        os.umask(old)
    assert (tmp_path / "a.pt").stat().st_mode & 0o777 == 0o644


def test_a_page_with_no_text_exits_nonzero_and_says_so(tmp_path, trained_checkpoint, capsys):
    Image.new("L", (400, 300), 255).save(tmp_path / "blank.png")
    assert main(["predict", "--page", str(tmp_path / "blank.png"), "--format", "json", "--weights",
                 str(trained_checkpoint)]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)[0]["no_text"] is True and "no text lines found" in err
