"""Line sets in the formats users have: ocrlite folders, PaddleOCR label files, LMDB (issue 17)."""

import io
from pathlib import Path

import lmdb
import pytest

from ocrlite.recognition.charset import Charset
from ocrlite.cli import main
from ocrlite.datasets.line_sets import LabelFileError, is_lmdb_set, read_label_set

from conftest import render_clean

REPO = Path(__file__).resolve().parent.parent
FAST = str(REPO / "ocrlite" / "models" / "fast.onnx")
WORDS = ["TOTAL 12.50", "Cash", "hello world", "INVOICE 42", "thank you", "GST 6%"]


def _png(text: str) -> bytes:
    buf = io.BytesIO()
    render_clean(text).save(buf, format="PNG")
    return buf.getvalue()


def make_lmdb(folder: Path, records: list[tuple[bytes | None, bytes | None]], count: int | None = None) -> Path:
    """Write records (image bytes, label bytes; None leaves the key out), numbered from 1."""
    env = lmdb.open(str(folder), map_size=1 << 26)
    with env.begin(write=True) as txn:
        for i, (image, label) in enumerate(records, 1):
            if image is not None:
                txn.put(b"image-%09d" % i, image)
            if label is not None:
                txn.put(b"label-%09d" % i, label)
        txn.put(b"num-samples", str(len(records) if count is None else count).encode())
    env.close()
    return folder


def test_lmdb_set_reads_good_records_and_reports_bad_ones(tmp_path):
    records = [(_png(w), w.encode()) for w in WORDS]
    records += [(None, b"no image"), (_png("x"), None), (_png("y"), b"\xff\xfe"), (b"not an image", b"broken")]
    folder = make_lmdb(tmp_path / "db", records)
    assert is_lmdb_set(folder) and is_lmdb_set(folder / "data.mdb")
    lines, report = read_label_set(folder)
    assert [line.text for line in lines] == WORDS + ["broken"]
    assert report.total_skipped == 3
    assert "image record missing (line 7)" in report.summary() and "label record missing (line 8)" in report.summary()
    assert lines[0].load().ndim == 2
    from ocrlite.inputs.images import ImageLoadError

    with pytest.raises(ImageLoadError):
        lines[-1].load()  # a bad record is a per-line error, like a bad file


def test_lmdb_without_num_samples_is_a_set_error(tmp_path):
    env = lmdb.open(str(tmp_path / "db"), map_size=1 << 20)
    with env.begin(write=True) as txn:
        txn.put(b"label-000000001", b"x")
    env.close()
    with pytest.raises(LabelFileError, match="num-samples"):
        read_label_set(tmp_path / "db")


def test_eval_and_train_on_lmdb(tmp_path, capsys):
    folder = make_lmdb(tmp_path / "db", [(_png(w), w.encode()) for w in WORDS] + [(b"junk", b"bad")])
    assert main(["eval", str(folder), "--weights", FAST, "--fold-case"]) == 1  # one record failed, others scored
    out = capsys.readouterr().out
    assert "db\t7\t" in out
    run = tmp_path / "run"
    assert main(["train", "--backbone", "mobilenet", "--backbone-kw", "width_mult=0.25", "middle_blocks=1",
                 "--hidden-size", "32", "--batch-size", "4", "--val-size", "8", "--workers", "1", "--threads", "1",
                 "--out", str(run), "--steps", "3", "--val-every", "3", "--train-data", str(folder),
                 "--synth-ratio", "0", "--val", str(folder)]) == 0
    assert (run / "best.pt").is_file()
    assert '"db"' in (run / "metrics.jsonl").read_text()


def test_paddleocr_label_file_relative_to_a_data_dir(tmp_path):
    data_dir = tmp_path / "train_data"
    (data_dir / "rec" / "train").mkdir(parents=True)
    rows = []
    for i, w in enumerate(WORDS):
        render_clean(w).save(data_dir / "rec" / "train" / f"word_{i}.png")
        rows.append(f"rec/train/word_{i}.png\t{w}")
    labels = data_dir / "rec" / "rec_gt_train.txt"  # paths relative to train_data/, not to rec/
    labels.write_text("\n".join(rows) + "\n")
    lines, report = read_label_set(labels, Charset.default())
    assert len(lines) == len(WORDS) and report.total_skipped == 0
    assert lines[0].path == data_dir / "rec" / "train" / "word_0.png"


def test_synth_writes_an_lmdb_set_that_reads_back(tmp_path):
    out = tmp_path / "s"
    assert main(["synth", "--out", str(out), "--n", "12", "--seed", "3", "--format", "lmdb"]) == 0
    folder_out = tmp_path / "f"
    assert main(["synth", "--out", str(folder_out), "--n", "12", "--seed", "3"]) == 0
    lines, _ = read_label_set(out)
    same, _ = read_label_set(folder_out)
    assert [x.text for x in lines] == [x.text for x in same]
    assert (lines[5].load() == same[5].load()).all()  # the same pixels in either format
    assert len((out / "fonts.tsv").read_text().splitlines()) == 13


def test_eval_reads_a_set_in_chunks_with_the_same_scores(labelled_set):
    """A set is prepared a chunk at a time (memory bounded for any size), with the scores of one pass."""
    import ocrlite
    from ocrlite.datasets.line_sets import read_label_set
    from ocrlite.evaluation.evaluate import evaluate_lines

    reader = ocrlite.load(threads=1)
    lines, _ = read_label_set(str(labelled_set))
    whole = evaluate_lines(reader, lines, "set")
    chunked = evaluate_lines(reader, lines, "set", chunk=2)
    assert chunked.scores == whole.scores and chunked.rows == whole.rows and len(lines) > 2
