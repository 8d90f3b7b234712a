"""Every command ends, nothing a user made is lost or mixed (issue 16): one test per class of fault.

Classes: hung workers, decoders ocrlite never meant to run, closed pipes, concurrent writers,
overwritten inputs, output framing, NaN, impossible options, damaged model files.
"""

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from ocrlite.recognition.charset import Charset
from ocrlite.nn.checkpoint import CheckpointError, atomic_save, load_checkpoint, read_checkpoint
from ocrlite.cli import main, tsv_field
from ocrlite.inputs.images import ImageLoadError, load_gray
from ocrlite.utils.locks import lock_folder
from ocrlite.nn.crnn import ModelConfig, build_model
from ocrlite.recognition.preprocess import PreprocessConfig

from conftest import render_clean
from helpers import save_tiny_checkpoint

TINY = ["--backbone", "mobilenet", "--backbone-kw", "width_mult=0.25", "middle_blocks=1", "--hidden-size", "32",
        "--batch-size", "4", "--val-size", "8", "--workers", "0", "--threads", "1"]
REPO = Path(__file__).resolve().parent.parent


def _run(args, timeout=240, **kw):
    return subprocess.run([sys.executable, "-m", "ocrlite", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO, **kw)


# ------------------------------------------------------------------ hung workers
def test_error_in_data_worker_ends_the_run_instead_of_hanging(tmp_path):
    """A worker that raises must end `ocrlite train` with an error, not wait for the worker forever."""
    script = textwrap.dedent(f"""
        import sys
        from ocrlite.training import batches
        def broken(self):
            raise RuntimeError("generator exploded")
            yield
        batches.BatchStream.__iter__ = broken
        from ocrlite.cli import main
        sys.exit(main(["train", *{TINY[:-4]!r}, "--workers", "1", "--threads", "1",
                       "--out", {str(tmp_path / "run")!r}, "--steps", "5"]))
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180, cwd=REPO)
    assert res.returncode != 0
    assert "generator exploded" in res.stderr


# ------------------------------------------------------------------ decoders
@pytest.mark.parametrize("payload", [
    b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",  # Ghostscript via Pillow's EPS plugin
    b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
    b"SIMPLE  =                    T\nBITPIX  =                    8\n",  # FITS
    b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00",  # ICO header
])
def test_only_the_meant_formats_are_decoded(tmp_path, payload, monkeypatch):
    monkeypatch.setenv("PATH", "")  # no gs, whatever Pillow tries
    path = tmp_path / "line.png"
    path.write_bytes(payload)
    with pytest.raises(ImageLoadError, match="not a readable image"):
        load_gray(path)


# An EXIF block whose entry type was damaged (found by fuzzing: Pillow raised struct.error from WebP).
_BAD_EXIF = bytes.fromhex("4578696600004d4d002a000000080003015600020000000600000032011200030000000100063800013100020000"
                          "000373770000000000006d616b657200")


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "TIFF"])
def test_damaged_exif_is_a_per_file_error_or_ignored(tmp_path, fmt):
    buf = io.BytesIO()
    try:
        render_clean("exif").save(buf, format=fmt, exif=_BAD_EXIF)
    except Exception:  # noqa: BLE001
        pytest.skip(f"Pillow cannot write this damaged block into {fmt}")
    path = tmp_path / f"x.{fmt.lower()}"
    path.write_bytes(buf.getvalue())
    try:
        out = load_gray(path)
        assert out.ndim == 2 and out.size > 0
    except ImageLoadError:
        pass


def test_unreadable_folder_and_long_names_do_not_end_the_batch(tmp_path, capsys):
    ok = tmp_path / "ok.png"
    render_clean("fine").save(ok)
    too_long = str(tmp_path / ("x" * 300 + ".png"))
    code = main(["predict", too_long, str(ok), "--weights", str(REPO / "ocrlite" / "models" / "fast.onnx")])
    out, err = capsys.readouterr()
    assert code == 1
    assert "ok.png\t" in out and "x" * 50 in err


# ------------------------------------------------------------------ closed pipes
def test_train_survives_a_closed_progress_pipe(tmp_path):
    """`ocrlite train ... 2>&1 | head -1`: training carries on to the end and writes its run."""
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "ocrlite", "train", *TINY, "--out", str(out), "--steps", "6",
                             "--val-every", "6"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO)
    proc.stdout.readline()
    proc.stdout.close()  # the reader goes away
    assert proc.wait(timeout=240) == 0
    assert read_checkpoint(out / "last.pt")["resume"]["step"] == 6
    assert (out / "best.pt").is_file()


def test_synth_survives_a_closed_stderr(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "ocrlite", "synth", "--out", str(tmp_path / "s"), "--n", "30"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    proc.stderr.close()
    assert proc.wait(timeout=120) == 0
    assert len((tmp_path / "s" / "labels.tsv").read_text().splitlines()) == 30


def test_predict_with_a_closed_stdout_ends_quietly(tmp_path):
    for i in range(40):
        render_clean(f"line {i}").save(tmp_path / f"{i:02d}.png")
    proc = subprocess.Popen([sys.executable, "-m", "ocrlite", "predict", str(tmp_path), "--weights",
                             str(REPO / "ocrlite" / "models" / "fast.onnx"), "--batch-size", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    proc.stdout.close()  # the reader is gone before the first line (`| head -0`)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert "Traceback" not in err


def test_torch_disk_full_error_keeps_the_run_going(tmp_path, monkeypatch):
    from ocrlite.training import run_dir as train_module

    calls = {"n": 0}
    real = train_module.atomic_save

    def flaky(obj, path):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed")
        return real(obj, path)

    monkeypatch.setattr(train_module, "atomic_save", flaky)
    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out), "--steps", "6", "--save-every", "2", "--val-every", "6"]) == 0
    assert read_checkpoint(out / "last.pt")["resume"]["step"] == 6


def test_out_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("a file")
    assert main(["train", *TINY, "--out", str(target), "--steps", "2"]) == 2
    assert "taken" in capsys.readouterr().err
    assert target.read_text() == "a file"


# ------------------------------------------------------------------ concurrent writers
def test_second_trainer_on_the_same_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    held = lock_folder(out, "ocrlite train")  # another trainer holds the folder
    try:
        assert main(["train", *TINY, "--out", str(out), "--steps", "2", "--force"]) == 2
        assert "another ocrlite train" in capsys.readouterr().err
        assert not (out / "metrics.jsonl").exists()
    finally:
        held.close()


def test_second_synth_on_the_same_folder_is_refused(tmp_path, capsys):
    from ocrlite.utils.locks import lock_target

    out = tmp_path / "s"
    held = lock_target(out, "ocrlite synth")
    try:
        assert main(["synth", "--out", str(out), "--n", "3", "--force"]) == 2
        assert "another ocrlite synth" in capsys.readouterr().err
    finally:
        held.close()


def test_force_leaves_nothing_of_the_previous_run(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "best.pt").write_bytes(b"old best")
    (out / "notes.txt").write_text("mine")
    assert main(["train", *TINY, "--out", str(out), "--steps", "2", "--val-every", "100", "--force",
                 "--stop-at", "1"]) == 0
    assert not (out / "best.pt").exists()  # not the old one (stopped before any validation)
    assert (out / "notes.txt").read_text() == "mine"


# ------------------------------------------------------------------ inputs overwritten / unusable outputs
def test_export_refuses_to_overwrite_its_input(tmp_path, capsys):
    ck = tmp_path / "m.pt"
    save_tiny_checkpoint(ck, Charset("abc"))
    before = ck.read_bytes()
    assert main(["export", "--weights", str(ck), "--out", str(ck), "--force"]) == 2
    assert "input checkpoint" in capsys.readouterr().err
    assert ck.read_bytes() == before


def test_export_refuses_an_opset_it_cannot_write(tmp_path, capsys):
    ck = tmp_path / "m.pt"
    save_tiny_checkpoint(ck, Charset("abc"))
    assert main(["export", "--weights", str(ck), "--out", str(tmp_path / "m.onnx"), "--opset", "5"]) == 2
    assert "--opset" in capsys.readouterr().err
    assert not (tmp_path / "m.onnx").exists()


# ------------------------------------------------------------------ output framing
def test_tab_and_newline_in_a_path_cannot_break_the_tsv(tmp_path, capsys):
    weird = tmp_path / "a\tb\nc.png"
    render_clean("tab").save(weird, format="PNG")
    assert main(["predict", str(weird), "--weights", str(REPO / "ocrlite" / "models" / "fast.onnx")]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.count("\t") == 2
    assert out.startswith(tsv_field(str(weird)) + "\t")


# ------------------------------------------------------------------ NaN
def test_nan_weights_are_refused_at_load(tmp_path):
    charset = Charset("abc")
    path = tmp_path / "nan.pt"
    model, cfg = save_tiny_checkpoint(path, charset)
    ck = read_checkpoint(path)
    key = next(k for k, v in ck["state_dict"].items() if v.is_floating_point())
    ck["state_dict"][key] = torch.full_like(ck["state_dict"][key], float("nan"))
    from ocrlite.nn.checkpoint import state_digest

    ck["state_sha256"] = state_digest(ck["state_dict"])  # a diverged run saved them: the checksum matches
    atomic_save(ck, path)
    with pytest.raises(CheckpointError, match="NaN"):
        load_checkpoint(path)


def test_diverged_run_stops_and_keeps_the_last_good_checkpoint(tmp_path, capsys, monkeypatch):
    from ocrlite.training import trainer as train_module

    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out), "--steps", "8", "--save-every", "2", "--val-every", "100",
                 "--stop-at", "4"]) == 0
    good = read_checkpoint(out / "last.pt")["resume"]["step"]
    monkeypatch.setattr(train_module.Trainer, "train_step", lambda self, batch: float("nan"))
    assert main(["train", *TINY, "--out", str(out), "--resume"]) == 1
    assert "nan" in capsys.readouterr().err.lower()
    assert read_checkpoint(out / "last.pt")["resume"]["step"] == good
    assert not (out / "best.pt").exists()


# ------------------------------------------------------------------ impossible options
@pytest.mark.parametrize("extra", [
    ["--seed", "-1"], ["--batch-size", "0"], ["--steps", "0"], ["--val-every", "0"], ["--save-every", "0"],
    ["--threads", "-1"], ["--max-width", "10"], ["--device", "foo"], ["--backbone-kw", "bogus=1"],
    ["--backbone-kw", "width_mult=0"], ["--lr", "nan"],
])
def test_bad_train_options_are_one_line_usage_errors(tmp_path, extra):
    res = _run(["train", "--backbone", "mobilenet", "--out", str(tmp_path / "r"), *extra], timeout=120)
    assert res.returncode == 2, res.stderr[-500:]
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "r" / "last.pt").exists()


def test_resume_past_the_schedule_is_an_error(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out), "--steps", "2", "--val-every", "2"]) == 0
    assert main(["train", *TINY, "--out", str(out), "--resume", "--steps", "1"]) == 2
    assert "already at step 2" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["eval", "x", "--batch-size", "0"], ["predict", "x.png", "--threads", "-1"],
                                  ["predict", "x.png", "--beam-width", "0"], ["synth", "--out", "o", "--n", "0"]])
def test_bad_counts_are_usage_errors_everywhere(args):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02binary\xff"])
def test_empty_or_binary_corpus_is_refused(tmp_path, content, capsys):
    corpus = tmp_path / "words.txt"
    corpus.write_bytes(content)
    assert main(["synth", "--out", str(tmp_path / "s"), "--n", "2", "--corpus", str(corpus)]) == 2
    assert str(corpus) in capsys.readouterr().err


def test_charset_of_one_space_is_refused(tmp_path, capsys):
    (tmp_path / "cs.txt").write_text(" \n")
    assert main(["synth", "--out", str(tmp_path / "s"), "--n", "2", "--charset", str(tmp_path / "cs.txt")]) == 2


# ------------------------------------------------------------------ damaged model files
def _tiny_ck(tmp_path):
    path = tmp_path / "m.pt"
    save_tiny_checkpoint(path, Charset("abc"))
    return path, read_checkpoint(path)


@pytest.mark.parametrize("damage", [
    lambda ck: ck.update(state_dict=[1, 2, 3]),
    lambda ck: ck["model"]["backbone_kwargs"].update(width_mult=0),
    lambda ck: ck.update(charset="ab"),
    lambda ck: ck["model"].update(hidden_size=4000, num_layers=16),  # would allocate gigabytes
    lambda ck: ck["model"].update(num_classes="many"),
    lambda ck: ck["preprocess"].update(height=0),
    lambda ck: ck["state_dict"].update({"head.fc.weight": torch.zeros(2, 2)}),
])
def test_inconsistent_checkpoints_are_one_line_errors(tmp_path, damage):
    path, ck = _tiny_ck(tmp_path)
    damage(ck)
    torch.save(ck, path)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


@pytest.mark.parametrize("meta", ["not json", "[1, 2]", json.dumps({"charset": "ab"}),
                                  json.dumps({"charset": "", "preprocess": {}})])
def test_onnx_with_bad_metadata_is_a_one_line_error(tmp_path, meta):
    onnx = pytest.importorskip("onnx")
    from ocrlite.recognition.onnx_engine import METADATA_KEY, OnnxModelError
    from ocrlite.api.onnx_recognizer import OnnxRecognizer

    model = onnx.load(str(REPO / "ocrlite" / "models" / "fast.onnx"))
    for prop in model.metadata_props:
        if prop.key == METADATA_KEY:
            prop.value = meta
    path = tmp_path / "bad.onnx"
    onnx.save(model, str(path))
    with pytest.raises(OnnxModelError):
        OnnxRecognizer.load(path)


def test_model_configs_validate_their_numbers():
    with pytest.raises(ValueError):
        ModelConfig("mobilenet", 4, {"width_mult": -1.0})
    with pytest.raises(ValueError):
        PreprocessConfig(height=0)
    model = build_model(ModelConfig("mobilenet", 4, {"width_mult": 0.25, "middle_blocks": 1}))
    assert sum(p.numel() for p in model.parameters()) > 0


# ------------------------------------------------------------------ fuzzing every decoder Pillow has
def _fuzz_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("fuzz_images", REPO / "scripts" / "bench" / "fuzz_images.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_FUZZ = _fuzz_module()
_SEEDS = _FUZZ.seed_files()


def test_fuzz_seeds_span_the_formats_pillow_writes():
    formats = {fmt for fmt, _ in _SEEDS}
    assert {"PNG", "JPEG", "TIFF", "WEBP", "GIF", "BMP", "PPM", "EPS", "PDF", "ICO"} <= formats


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ocrlite.inputs.images import IMAGE_EXTENSIONS  # noqa: E402


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, len(_SEEDS) - 1), other=st.integers(0, len(_SEEDS) - 1), salt=st.integers(0, 2**32),
       suffix=st.sampled_from(sorted(IMAGE_EXTENSIONS)))
def test_fuzz_mutated_files_of_every_format_only_raise_image_errors(tmp_path, seed, other, salt, suffix):
    import random

    payload = _FUZZ.mutate(_SEEDS[seed][1], _SEEDS[other][1], random.Random(salt))
    path = tmp_path / f"m{suffix}"
    path.write_bytes(payload)
    try:
        gray = load_gray(path)
    except ImageLoadError:
        return
    assert gray.ndim == 2 and gray.dtype.name == "uint8"


def test_eval_errors_file_that_cannot_be_written_is_one_line(tmp_path, capsys):
    folder = tmp_path / "set"
    (folder / "images").mkdir(parents=True)
    render_clean("a\tb").save(folder / "images" / "x.png")
    (folder / "labels.tsv").write_text("images/x.png\tsome text\n")
    assert main(["eval", str(folder), "--weights", str(REPO / "ocrlite" / "models" / "fast.onnx"),
                 "--errors", str(tmp_path / "missing" / "e.tsv")]) == 2
    assert "--errors" in capsys.readouterr().err
    assert main(["eval", str(folder), "--weights", str(REPO / "ocrlite" / "models" / "fast.onnx"),
                 "--errors", str(tmp_path / "e.tsv")]) == 0
    rows = (tmp_path / "e.tsv").read_text().splitlines()
    assert all(row.count("\t") == 3 for row in rows)


# ------------------------------------------------------------------ a bad synthetic draw
class _FlakyGenerator:
    """Stands in for LineGenerator: sample ``index`` raises when ``fails(index)``."""

    def __init__(self, fails):
        self.fails = fails

    def generate(self, seed, index):
        if self.fails(index):
            raise IndexError(f"draw {index} exploded")
        return np.asarray(render_clean(f"line {index}")), f"line {index}"


def _stream(fails, batch_size=4, batches_per_chunk=2):
    from ocrlite.training.batches import BatchStream
    from ocrlite.synth.generator import GeneratorConfig
    stream = BatchStream(Charset.default(), PreprocessConfig(), GeneratorConfig(), seed=0, batch_size=batch_size,
                         batches_per_chunk=batches_per_chunk)
    stream._generator = _FlakyGenerator(fails)
    return stream


def test_a_synthetic_draw_that_raises_is_skipped_with_a_warning_naming_it():
    from ocrlite.training.batches import SyntheticSampleWarning
    with pytest.warns(SyntheticSampleWarning, match=r"synthetic sample 3 \(seed 0\) skipped: IndexError: draw 3"):
        batches = _stream(lambda i: i == 3).chunk_batches(0)
    texts = [t for b in batches for t in b.texts]
    assert sorted(texts) == sorted(f"line {i}" for i in range(8) if i != 3)


def test_a_generator_that_always_raises_still_ends_the_run():
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="only 0 usable samples"):
        _stream(lambda i: True).chunk_batches(0)
