"""``ocrlite eval``: character error rate of a model on labelled sets."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ocrlite.utils.limits import MAX_THREADS
from ocrlite.cli.common import print_error, tsv_field, at_least, HelpFormatter, add_data_root, SetupError, load_recognizer_for, add_decoder_options


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="score a checkpoint on labelled sets (CER, WER, line accuracy, lines/s)",
        description="Score a model on labelled line sets (labels.tsv folders, .tsv label files, LMDB sets): CER, "
        "WER, line accuracy and lines/s per set; --errors writes the worst lines. With --pages, score whole pages "
        "with annotated line boxes: detection precision / recall / H-mean and page CER.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("sets", nargs="+", metavar="SET",
                   help="folder with labels.tsv, or a .tsv file; with --pages, a page set (images/ + boxes/, or "
                   "images with NAME.csv box files beside them)")
    p.add_argument("--pages", action="store_true",
                   help="the sets are whole pages with annotated line boxes: report detection precision / recall / "
                   "H-mean (IoU 0.5), page CER (each annotated line against the text read where it stands), bag-of-"
                   "lines CER and seconds per page")
    p.add_argument("--detector", choices=["auto", "learned", "classic"], default="auto",
                   help="with --pages: the line finder (auto: the learned detector when it ships)")
    p.add_argument("--limit", type=at_least(1), default=None, help="with --pages: only the first N pages of each set")
    p.add_argument("--weights", default=None, help="model file (.onnx or .pt) or a shipped model by name: default, fast (`ocrlite models`)")
    p.add_argument("--fold-case", action="store_true", help="compare case-insensitively")
    p.add_argument("--ignore-space", action="store_true", help="drop all whitespace before comparing")
    p.add_argument("--errors", default=None, metavar="OUT.tsv", help="write the worst lines here")
    p.add_argument("--worst", type=at_least(1), default=200, help="how many lines --errors keeps")
    p.add_argument("--by-char", default=None, metavar="OUT.tsv",
                   help="write every character's count, recall, precision and top confusions (ê→é 12), worst "
                   "first, over all sets (compared as --fold-case / --ignore-space say)")
    p.add_argument("--char-target", type=float, default=0.98,
                   help="with --by-char: flag characters whose recall is below this")
    p.add_argument("--batch-size", type=at_least(1), default=64, help="lines read together (the text is the same at any size)")
    p.add_argument("--threads", type=at_least(1, MAX_THREADS), default=None, help="CPU threads (default: the engine's choice)")
    p.add_argument("--json", action="store_true", help="print results as JSON")
    add_data_root(p)
    add_decoder_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from ocrlite.datasets.line_sets import LabelFileError, read_label_set
    from ocrlite.evaluation.evaluate import evaluate_lines

    if args.by_char and Path(args.by_char).exists():
        print_error(f"{args.by_char}: exists; refusing to overwrite it (choose another --by-char path)")
        return 2
    if args.errors and Path(args.errors).exists():
        print_error(f"{args.errors}: exists; refusing to overwrite it (choose another --errors path)")
        return 2
    try:
        rec = load_recognizer_for(args)
    except SetupError as err:
        print_error(str(err))
        return 2
    if args.pages:
        return _eval_pages(rec, args)
    status = 0
    results = []
    for s in args.sets:
        try:
            lines, report = read_label_set(s)
        except LabelFileError as err:
            print_error(str(err))
            status = 1
            continue
        if report.total_skipped:
            print_error(report.summary())
        if rec.ascii:  # score ASCII predictions against the ASCII form of the labels
            from ocrlite.recognition.asciify import asciify

            lines = [dataclasses.replace(line, text=asciify(line.text, rec.strip_accents)) for line in lines]
        res = evaluate_lines(rec, lines, s, args.batch_size, args.fold_case, args.ignore_space)
        for path, reason in res.failed:
            print_error(f"{path}: {reason}")
        if res.failed:
            status = 1
        results.append(res)
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=1))
    else:
        print("set\tlines\tCER\tWER\tline_acc\tlines/s\tfailed")
        for r in results:
            sc = r.scores
            print(f"{r.name}\t{sc.lines}\t{sc.cer:.2%}\t{sc.wer:.2%}\t{sc.accuracy:.2%}\t{r.lines_per_s:.1f}\t{len(r.failed)}")
    if args.by_char:
        from ocrlite.evaluation.by_char import char_report, report_rows
        from ocrlite.recognition.metrics import normalize

        pairs = [(normalize(pred, args.fold_case, args.ignore_space), normalize(truth, args.fold_case, args.ignore_space))
                 for r in results for _, truth, pred, _ in r.rows]
        rows = report_rows(char_report([p for p, _ in pairs], [t for _, t in pairs]), target=args.char_target)
        try:
            with open(args.by_char, "x", encoding="utf-8") as f:
                f.write("char\tcount\trecall\tprecision\tbelow_target\tconfusions\n")
                for row in rows:
                    f.write(f"{tsv_field(row['char'])}\t{row['count']}\t{row['recall']:.4f}\t{row['precision']:.4f}\t"
                            f"{'yes' if row['below_target'] else ''}\t{tsv_field(row['confusions'])}\n")
        except OSError as err:
            print_error(f"--by-char {args.by_char}: cannot write ({err.strerror or err})")
            return 2
        flagged = [r["char"] for r in rows if r["below_target"]]
        print_error(f"--by-char: {len(rows)} characters, {len(flagged)} under {args.char_target:.0%} recall"
                    + (f": {''.join(flagged[:40])}" if flagged else ""))
    if args.errors:
        rows = sorted((row for r in results for row in r.rows), key=lambda x: -x[3])[: args.worst]
        try:
            with open(args.errors, "x", encoding="utf-8") as f:
                f.write("path\ttruth\tprediction\tdistance\n")
                for path, truth, pred, d in rows:
                    f.write(f"{tsv_field(path)}\t{tsv_field(truth)}\t{tsv_field(pred)}\t{d}\n")
        except OSError as err:
            print_error(f"--errors {args.errors}: cannot write ({err.strerror or err})")
            return 2
    return status


def _eval_pages(rec, args: argparse.Namespace) -> int:
    """``eval --pages``: detection and page-text scores of each page set."""
    from ocrlite.datasets.page_sets import read_page_set
    from ocrlite.evaluation.pages import evaluate_pages
    from ocrlite.pages.reader import resolve_detector

    try:
        finder = resolve_detector(args.detector)
    except ValueError as err:
        print_error(str(err))
        return 2

    def read(gray):
        result = rec.read_page(gray, batch_size=args.batch_size, detector=finder)
        return [(line.box.corners, line.text) for line in result.lines]

    status, results = 0, []
    for s in args.sets:
        try:
            pages = read_page_set(s)
        except ValueError as err:
            print_error(str(err))
            status = 1
            continue
        res = evaluate_pages(read, pages, s, args.limit)
        for path, reason in res.failed:
            print_error(f"{path}: {reason}")
        status = 1 if res.failed else status
        results.append(res)
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=1))
    else:
        print("set\tpages\tprecision\trecall\tH-mean\tpage_CER\tbag_CER\ts/page\tfailed")
        for r in results:
            d = r.as_dict()
            print(f"{r.name}\t{r.pages}\t{d['precision']:.2%}\t{d['recall']:.2%}\t{d['hmean']:.2%}\t"
                  f"{d['page_cer']:.2%}\t{d['bag_cer']:.2%}\t{d['seconds_per_page']:.3f}\t{len(r.failed)}")
    return status
