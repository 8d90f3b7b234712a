"""``ocrlite batch``: read a backlog — thousands of line images, scans or PDFs — on every core, resumably."""

from __future__ import annotations

import argparse

from ocrlite.cli.common import HelpFormatter, at_least, print_error


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch", formatter_class=HelpFormatter,
        help="read many images or PDFs on every core into a results folder; rerun to resume",
        description="Read INPUTs (images, folders, .txt/.tsv lists, and with --mode pages PDFs) with worker "
        "processes on every core, one record per line image or page, written in chunks to OUT as "
        "part-NNNNNN.jsonl (or .parquet) files. Stopped, killed or rebooted, the same command resumes: chunks "
        "already written are skipped, no record is lost or written twice. Inputs that cannot be read are "
        "records with their reason.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders, .txt/.tsv lists, PDFs")
    p.add_argument("--out", required=True, metavar="DIR", help="results folder (one job per folder)")
    p.add_argument("--mode", choices=["lines", "pages"], default="lines",
                   help="lines: each image is a text line; pages: each image or PDF page is a whole page")
    p.add_argument("--format", choices=["jsonl", "parquet"], default=None,
                   help="part files as JSON Lines (the local engine's default), or Parquet (needs pyarrow: pip install "
                   "'ocrlite[parquet]'; the Ray engine writes only Parquet)")
    p.add_argument("--workers", type=at_least(1, 100_000), default=None,
                   help="worker processes (Ray: reader actors), each with the model and one thread (default: every core)")
    p.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local: worker processes on this machine, resumable; ray: a Ray cluster through Ray Data "
                   "(pip install 'ocrlite[ray]'; docs/batch.md)")
    p.add_argument("--address", default=None, metavar="ADDR",
                   help="with --engine ray: the cluster to join (ray://HOST:10001 or HOST:6379; default: a local one)")
    p.add_argument("--chunk-size", type=at_least(1), default=64, help="records per part file (the unit of resume)")
    p.add_argument("--weights", default=None, help="model file or a shipped model's name (default: the default model)")
    p.add_argument("--detector", choices=["auto", "learned", "classic"], default="auto",
                   help="with --mode pages: how lines are found")
    p.add_argument("--dpi", type=float, default=300, help="with --mode pages: PDF rendering resolution")
    p.add_argument("--retry-failed", action="store_true", help="read again the chunks holding failed records")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ocrlite.bulk.job import JobError, JobSettings, describe, run_job
    from ocrlite.utils.extras import MissingExtraError

    if args.engine == "ray":
        return _run_ray(args)
    if args.address:
        print_error("--address is for --engine ray")
        return 2
    settings = JobSettings(mode=args.mode, weights=args.weights, detector=args.detector, dpi=args.dpi,
                           chunk_size=args.chunk_size, format=args.format or "jsonl")
    try:
        summary = run_job(args.inputs, args.out, settings, args.workers, args.retry_failed)
    except (JobError, MissingExtraError) as err:
        print_error(str(err))
        return 2
    print_error(describe(summary).replace("ocrlite: ", ""))
    return 1 if summary.failed else 0


def _run_ray(args: argparse.Namespace) -> int:
    """``--engine ray``: the job through Ray Data (:mod:`ocrlite.bulk.ray_engine`)."""
    from ocrlite.utils.extras import MissingExtraError, require

    if args.format == "jsonl":
        print_error("--engine ray writes Parquet (--format parquet); JSON Lines is the local engine's")
        return 2
    if args.retry_failed:
        print_error("--retry-failed is the local engine's (its resumable parts); a Ray job writes a new folder")
        return 2
    try:
        require("ray", "ocrlite batch --engine ray")
        require("pyarrow", "ocrlite batch --engine ray")
    except MissingExtraError as err:
        print_error(str(err))
        return 2
    from ocrlite.bulk.ray_engine import run_ray_job

    try:
        summary = run_ray_job(args.inputs, args.out, args.mode, args.weights, args.detector, args.dpi, args.address,
                              args.workers, batch_rows=args.chunk_size)
    except ValueError as err:
        print_error(str(err))
        return 2
    except ConnectionError as err:
        print_error(f"--address {args.address}: cannot reach the Ray cluster ({err})")
        return 2
    print_error(f"{summary['inputs']} inputs: {summary['records']} records ({summary['failed']} failed, recorded with "
                f"their reason) in {summary['out']}/records/*.parquet"
                + (f" and listing-errors.parquet" if summary["listing_errors"] else ""))
    return 1 if summary["failed"] else 0
