"""Throughput of ``ocrlite batch``: the local engine and the Ray engine, at 1 and 2 workers, in one run.

    python scripts/bench/bench_batch.py --lines SROIE_DEV --pages SROIE_PAGES_DEV --out docs/batch_bench.md

- lines: ``--line-count`` real line crops (the set's ``labels.tsv`` images, repeated in order to that count).
- pages: ``--page-count`` real page scans (the page set's images, repeated), ``--mode pages``.
Each configuration is one fresh job into an empty folder: wall time from the call to the last record
written, model loading and (Ray) cluster start included in a separate column — the Ray cluster is started
once before its runs (``ray.init(num_cpus=2)``) and its start time reported on its own. Run with nothing else
busy on the machine.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path


def line_list(folder: Path, count: int, out: Path) -> Path:
    images = [folder.resolve() / line.split("\t", 1)[0] for line in (folder / "labels.tsv").read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    out.write_text("".join(f"{p}\n" for p in itertools.islice(itertools.cycle(images), count)), encoding="utf-8")
    return out


def page_list(folder: Path, count: int, out: Path) -> Path:
    images = sorted(p.resolve() for p in (folder / "images").iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    out.write_text("".join(f"{p}\n" for p in itertools.islice(itertools.cycle(images), count)), encoding="utf-8")
    return out


def _records(out: Path) -> list[dict]:
    from ocrlite.bulk.job import read_records

    if (out / "records").is_dir():
        import pyarrow.parquet as pq

        return pq.read_table(out / "records").to_pylist()
    return list(read_records(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=Path, required=True, help="a line set (labels.tsv + images)")
    parser.add_argument("--pages", type=Path, required=True, help="a page set (images/ + boxes/)")
    parser.add_argument("--line-count", type=int, default=10_000)
    parser.add_argument("--page-count", type=int, default=200)
    parser.add_argument("--engines", nargs="+", default=["local", "ray"])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    from ocrlite.bulk.job import JobSettings, run_job

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inputs = {"lines": line_list(args.lines, args.line_count, tmp / "lines.txt"),
                  "pages": page_list(args.pages, args.page_count, tmp / "pages.txt")}
        counts = {"lines": args.line_count, "pages": args.page_count}
        ray_start = None
        for engine in args.engines:
            if engine == "ray":
                import ray

                from ocrlite.bulk.ray_engine import run_ray_job

                start = time.perf_counter()
                ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
                ray_start = time.perf_counter() - start
            for mode, workers in itertools.product(("lines", "pages"), (1, 2)):
                out = tmp / f"{engine}-{mode}-{workers}"
                start = time.perf_counter()
                if engine == "local":
                    run_job([str(inputs[mode])], out, JobSettings(mode=mode, chunk_size=256 if mode == "lines" else 8),
                            workers=workers)
                else:
                    run_ray_job([str(inputs[mode])], out, mode=mode, actors=workers,
                                batch_rows=256 if mode == "lines" else 8)
                seconds = time.perf_counter() - start
                failed = sum(1 for r in _records(out) if r.get("error"))
                if failed:
                    raise SystemExit(f"{engine} {mode}: {failed} inputs failed; the bench needs readable inputs")
                rows.append((engine, mode, workers, counts[mode], seconds))
                print(f"{engine} {mode} {workers} worker(s): {counts[mode] / seconds:.1f}/s", flush=True)
            if engine == "ray":
                ray.shutdown()
    base = {(m, e): s for e, m, w, n, s in rows if w == 1}
    lines = [f"`python scripts/bench/bench_batch.py --lines {args.lines} --pages {args.pages} --line-count "
             f"{args.line_count} --page-count {args.page_count}`" + (f"; Ray cluster start {ray_start:.1f} s, not "
                                                                    f"counted below" if ray_start else ""), "",
             "| engine | inputs | workers | lines/s | pages/min | vs 1 worker | vs local at the same workers |",
             "|---|---|---:|---:|---:|---:|---:|"]
    local = {(m, w): s for e, m, w, n, s in rows if e == "local"}
    for engine, mode, workers, n, seconds in rows:
        rate = n / seconds
        lines.append(f"| {engine} | {n:,} {mode} | {workers} | {rate:.0f} | | " if mode == "lines" else
                     f"| {engine} | {n:,} {mode} | {workers} | | {60 * rate:.0f} | ")
        lines[-1] += (f"{base[(mode, engine)] / seconds:.2f}× | "
                      f"{local[(mode, workers)] / seconds:.2f}× |" if (mode, workers) in local else "|")
    table = "\n".join(lines)
    print(table)
    if args.out:
        args.out.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
