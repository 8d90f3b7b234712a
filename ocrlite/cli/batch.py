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
    p.add_argument("--format", choices=["jsonl", "parquet"], default="jsonl",
                   help="part files as JSON Lines, or Parquet (needs pyarrow: pip install 'ocrlite[parquet]')")
    p.add_argument("--workers", type=at_least(1, 256), default=None,
                   help="worker processes, each with the model and one thread (default: every core)")
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

    settings = JobSettings(mode=args.mode, weights=args.weights, detector=args.detector, dpi=args.dpi,
                           chunk_size=args.chunk_size, format=args.format)
    try:
        summary = run_job(args.inputs, args.out, settings, args.workers, args.retry_failed)
    except (JobError, MissingExtraError) as err:
        print_error(str(err))
        return 2
    print_error(describe(summary).replace("ocrlite: ", ""))
    return 1 if summary.failed else 0
