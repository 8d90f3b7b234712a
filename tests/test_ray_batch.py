"""The batch job on a local Ray cluster (loopback, 2 CPUs): the local engine's records, and a killed reader's
batch retried without a record lost or written twice."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
pq = pytest.importorskip("pyarrow.parquet")

from conftest import render_clean  # noqa: E402

from ocrlite.bulk.job import JobSettings, read_records, run_job  # noqa: E402
from ocrlite.bulk.ray_engine import ReadBatch, run_ray_job  # noqa: E402
from ocrlite.cli import main  # noqa: E402

TEXTS = ["TOTAL RM 12.30", "Invoice 2019/01706", "Ça coûte 45,00 € à Noël", "Thank you, come again", "Qty 2 x 3.50"]


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def line_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lines")
    for k, text in enumerate(TEXTS * 3):
        render_clean(text, size=28).save(folder / f"{k:03d}.png")
    (folder / "zz-broken.png").write_bytes(b"not an image")
    return folder


@pytest.fixture(scope="module")
def local_records(line_folder, tmp_path_factory):
    """The local engine's records of the line folder, by file name."""
    out = tmp_path_factory.mktemp("local") / "job"
    run_job([str(line_folder)], out, JobSettings(chunk_size=4), workers=1)
    return {Path(r["path"]).name: r for r in read_records(out)}


def _ray_records(out: Path) -> list[dict]:
    return pq.read_table(out / "records").to_pylist()


def test_the_ray_engine_gives_the_local_engines_records(cluster, line_folder, local_records, tmp_path):
    summary = run_ray_job([str(line_folder), str(tmp_path / "missing.png")], tmp_path / "ray", actors=2, batch_rows=4)
    local = local_records
    remote = _ray_records(tmp_path / "ray")
    assert summary["records"] == len(remote) + 1 == len(local) + 1 and summary["failed"] == 2
    assert [Path(r["path"]).name for r in remote] == sorted(local)  # input order, one record each
    for r in remote:
        mine = local[Path(r["path"]).name]
        assert (r["text"], r["confidence"], bool(r["error"])) == (mine["text"], mine["confidence"], bool(mine["error"]))
    listing = pq.read_table(tmp_path / "ray" / "listing-errors.parquet").to_pylist()
    assert [(Path(r["path"]).name, r["error"]) for r in listing] == [("missing.png", "no such file")]


class DiesOnce(ReadBatch):
    """A reader whose process dies on its first batch (the first actor to take one), as a crashed node would."""

    marker = ""

    def __call__(self, batch):
        if self.marker and not os.path.exists(self.marker):
            Path(self.marker).write_text("died")
            os._exit(1)
        return super().__call__(batch)


def test_a_killed_readers_batch_is_retried_without_loss_or_duplicates(cluster, line_folder, local_records, tmp_path):
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers import nothing from tests/
    DiesOnce.marker = str(tmp_path / "died")
    summary = run_ray_job([str(line_folder)], tmp_path / "ray", actors=2, batch_rows=4, reader_class=DiesOnce)
    assert (tmp_path / "died").exists()  # a reader did die
    names = [Path(r["path"]).name for r in _ray_records(tmp_path / "ray")]
    assert names == sorted(p.name for p in line_folder.iterdir()) and summary["records"] == len(names)
    assert [r["text"] for r in _ray_records(tmp_path / "ray")] == [local_records[n]["text"] for n in names]


def test_read_batch_takes_a_pandas_batch_of_bytes(line_folder):
    pd = pytest.importorskip("pandas")
    files = sorted(line_folder.glob("*.png"))[:3]
    batch = pd.DataFrame({"bytes": [f.read_bytes() for f in files], "path": [f.name for f in files]})
    out = ReadBatch(mode="lines")(batch).to_pydict()
    assert out["text"][:2] == TEXTS[:2] and out["path"] == [f.name for f in files] and out["error"] == [None] * 3
    by_path = ReadBatch(mode="lines")({"path": [str(f) for f in files] + [str(line_folder / "nope.png")]}).to_pydict()
    assert by_path["text"][:3] == out["text"] and by_path["error"][3]  # path-only rows: the actor reads the file
    with pytest.raises(KeyError, match="'bytes' or 'path'"):
        ReadBatch()({"name": ["a"]})


def test_the_cli_runs_the_ray_engine_and_refuses_what_it_cannot_do(cluster, line_folder, tmp_path, capsys):
    assert main(["batch", str(line_folder), "--out", str(tmp_path / "r"), "--engine", "ray", "--format", "jsonl"]) == 2
    assert "writes Parquet" in capsys.readouterr().err
    assert main(["batch", str(line_folder), "--out", str(tmp_path / "r"), "--engine", "ray", "--workers", "2"]) == 1
    err = capsys.readouterr().err
    assert f"{len(TEXTS) * 3 + 1} records (1 failed" in err
    assert main(["batch", str(line_folder), "--out", str(tmp_path / "r"), "--engine", "ray"]) == 2  # never mixed
    assert "not empty" in capsys.readouterr().err
    assert _ray_records(tmp_path / "r")[0]["text"] == TEXTS[0]


def test_uris_are_read_by_ray_data_as_binary_files(cluster, line_folder, local_records, tmp_path):
    run_ray_job([f"file://{line_folder}"], tmp_path / "ray", actors=2, batch_rows=4)  # as an s3:// prefix would be
    remote = {Path(r["path"]).name: r for r in _ray_records(tmp_path / "ray")}
    assert sorted(remote) == sorted(local_records)
    assert all(remote[n]["text"] == local_records[n]["text"] for n in remote)
