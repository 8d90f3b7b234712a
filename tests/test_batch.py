"""``ocrlite batch``: the same text as predict at any worker count, resumable after kill -9 with exactly one
record per input, bad inputs recorded, one job per output folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from ocrlite.bulk.job import JobError, JobSettings, read_records, run_job

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def line_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch")
    subprocess.run([sys.executable, "-m", "ocrlite", "synth", "--out", str(folder / "set"), "--n", "120", "--seed", "9"],
                   check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    images = folder / "set" / "images"
    (images / "zz_corrupt.png").write_bytes(b"not an image")
    return images


def test_batch_reads_what_predict_reads_at_any_worker_count(line_folder, tmp_path):
    import ocrlite

    expected = {r.path: r.prediction.text for r in ocrlite.load().predict_paths(
        sorted(str(p) for p in line_folder.iterdir())) if r.prediction}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        summary = run_job([str(line_folder)], out, JobSettings(chunk_size=16), workers=workers)
        records = list(read_records(out))
        assert summary.read == len(records) == 121 and summary.failed == 1
        assert {r["path"]: r["text"] for r in records if not r["error"]} == expected
        (bad,) = [r for r in records if r["error"]]
        assert bad["path"].endswith("zz_corrupt.png") and "not a readable image" in bad["error"]


def test_a_job_killed_mid_way_resumes_with_one_record_per_input(line_folder, tmp_path):
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "ocrlite", "batch", str(line_folder), "--out", str(out), "--workers", "2",
           "--chunk-size", "4"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list(out.glob("part-*.jsonl"))) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the job and its workers, at once
    proc.wait()
    written_before = len(list(out.glob("part-*.jsonl")))
    assert written_before >= 1
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 1, rerun.stderr  # 1: the corrupt input is a failed record
    assert f"{min(written_before * 4, 121)} done before" in rerun.stderr or "done before" in rerun.stderr
    counts = Counter(r["path"] for r in read_records(out))
    assert len(counts) == 121 and set(counts.values()) == {1}
    assert not list(out.glob("*.tmp*")) and not [p for p in out.iterdir() if p.name.startswith(".part")]


def test_one_job_per_output_folder(line_folder, tmp_path):
    out = tmp_path / "one"
    run_job([str(line_folder / "0000000.png")], out, JobSettings(), workers=1)
    with pytest.raises(JobError, match="holds another job"):
        run_job([str(line_folder / "0000001.png")], out, JobSettings(), workers=1)


def test_pages_mode_reads_each_pdf_page_as_a_record(tmp_path):
    import numpy as np
    from PIL import Image

    from ocrlite.synth.pages import PageRenderer

    renderer = PageRenderer()
    images = [Image.fromarray(renderer.render(np.random.default_rng(k), layout="receipt", degrade=False).image)
              for k in (3, 4)]
    images[0].save(tmp_path / "doc.pdf", save_all=True, append_images=images[1:], resolution=150)
    images[0].save(tmp_path / "scan.png")
    summary = run_job([str(tmp_path / "doc.pdf"), str(tmp_path / "scan.png")], tmp_path / "out",
                      JobSettings(mode="pages", detector="classic", chunk_size=2), workers=1)
    records = list(read_records(tmp_path / "out"))
    assert summary.failed == 0 and [(Path(r["path"]).name, r["page"]) for r in records] == [
        ("doc.pdf", 1), ("doc.pdf", 2), ("scan.png", None)]
    from_pdf, from_png = records[0]["text"].splitlines(), set(records[2]["text"].splitlines())
    assert sum(line in from_png for line in from_pdf) >= 0.8 * len(from_pdf)  # rendered at 300 dpi: nearly the same
