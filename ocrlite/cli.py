"""Command-line interface: ``ocrlite {predict,synth,train,eval,bench} ...``.

Each subcommand imports its heavy modules lazily, so ``ocrlite --help`` stays fast.
``main(argv)`` returns the exit status: 0 success, 1 some inputs failed, 2 usage/setup error.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path
import sys
from collections.abc import Callable

from ocrlite import __version__
from ocrlite.limits import MAX_BEAM_WIDTH, MAX_THREADS

Handler = Callable[[argparse.Namespace], int]


def _err(msg: str) -> None:
    from ocrlite.progress import write_stderr

    write_stderr(f"ocrlite: {msg}\n")


def display_path(path: str) -> str:
    """A path as valid Unicode text: bytes of a name that are not UTF-8 shown as ``\\xNN`` (JSON stays valid)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def tsv_field(text: str) -> str:
    """``text`` safe for one tab-separated field: backslash, tab, CR and LF escaped as ``\\ \\t \\r \\n``."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")


def at_least(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type``: an integer >= ``low`` (and <= ``high``); anything else is a usage error naming the option."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be <= {high}, got {value}")
        return value
    parse.__name__ = f"integer >= {low}" if high is None else f"integer in {low}..{high}"
    return parse


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds "(default: X)" once: not when the help already says what the default is, nor for
    None, False or empty defaults (which mean "not given")."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text.lower() or action.default in (None, False, [], "") \
                or action.default is argparse.SUPPRESS:
            return text
        return super()._get_help_string(action)


def _add_data_root(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-root", default=None, metavar="DIR",
                   help="a folder label-file image paths may point into besides the set's own folder (also "
                   "$OCRLITE_DATA_ROOT); any other path in a label file is refused and counted")


def _apply_data_root(args: argparse.Namespace) -> None:
    """``--data-root`` reaches every reader (and training's data workers) through the environment."""
    if getattr(args, "data_root", None):
        from ocrlite.data import DATA_ROOT_ENV

        os.environ[DATA_ROOT_ENV] = str(Path(args.data_root).resolve())


class SetupError(Exception):
    """A model or option problem that stops a command before any input is read (exit 2)."""


def _load_recognizer(args: argparse.Namespace):
    """The recognizer for ``--engine`` (onnx: onnxruntime only, torch is never imported), with decoder options."""
    from ocrlite.weights import load_recognizer

    try:
        rec = load_recognizer(args.weights, getattr(args, "engine", "auto"), args.threads)
        lexicon = None
        if getattr(args, "lexicon", None):
            from ocrlite.decode import load_lexicon

            lexicon = load_lexicon(args.lexicon)
        rec.set_decoder(getattr(args, "decoder", "greedy"), getattr(args, "beam_width", 8), lexicon,
                        getattr(args, "allow", None), getattr(args, "block", None), getattr(args, "ascii", False),
                        getattr(args, "strip_accents", False))
        overrides = {name: getattr(args, name) for name in ("width_scale", "trim_to_text")
                     if getattr(args, name, None) is not None}
        if overrides:
            import dataclasses

            rec.preprocess = dataclasses.replace(rec.preprocess, **overrides)
        return rec
    except (ValueError, OSError) as err:
        raise SetupError(str(err)) from None


def _add_decoder_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=["auto", "torch", "onnx"], default="auto",
                   help="auto: by the --weights suffix (.onnx → onnxruntime, else torch); with no --weights, the "
                   "shipped ONNX default when onnxruntime is installed, else the torch checkpoint")
    p.add_argument("--decoder", choices=["greedy", "beam"], default="greedy")
    p.add_argument("--beam-width", type=at_least(1, MAX_BEAM_WIDTH), default=8)
    p.add_argument("--lexicon", default=None, help="word list (one per line) that beam search favours")
    p.add_argument("--allow", default=None, metavar="CHARS", help="only emit these characters, e.g. 0123456789")
    p.add_argument("--block", default=None, metavar="CHARS", help="never emit these characters")
    p.add_argument("--ascii", action="store_true",
                   help="print typographic punctuation in ASCII (“ ” → \", ’ → ', – — → -, … → ..., € → EUR); "
                   "by default the text is what the page shows")
    p.add_argument("--strip-accents", action="store_true",
                   help="with or without --ascii: letters in ASCII too (é → e, ß → ss, Œ → OE); every text is ASCII")
    p.add_argument("--width-scale", type=float, default=None, metavar="X",
                   help="stretch lines horizontally by X after resizing to the model height (default: the "
                   "value stored in the model file; scripts/tune_width_scale.py measures the best one)")
    p.add_argument("--trim-to-text", action=argparse.BooleanOptionalAction, default=None,
                   help="cut each line to the rows its text occupies before resizing, so loose crops are read "
                   "at the letter size of tight ones (default: the setting stored in the model file)")


# --------------------------------------------------------------------------- predict
def _add_predict(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "predict",
        help="recognise text-line images",
        description="Recognise text-line images. PATH: an image, a folder of images, or a .txt/.tsv list "
        "whose first column is an image path. Prints path<TAB>text<TAB>confidence per image, in input order.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--weights", help="model file, .onnx or .pt (default: the shipped default model)")
    p.add_argument("--format", choices=["tsv", "json"], default="tsv")
    p.add_argument("--batch-size", type=at_least(1), default=32)
    p.add_argument("--threads", type=at_least(1, MAX_THREADS), default=None, help="CPU threads (default: the engine's choice)")
    p.add_argument("--page", action="store_true",
                   help="each image is a whole page (scan, receipt, screenshot): find its lines, then read them; "
                   "prints the page's text in reading order (--format json: every line's box and confidences)")
    p.add_argument("--draw", default=None, metavar="OUT.png",
                   help="with --page: write the page with numbered line boxes (several pages: OUT is a folder)")
    p.add_argument("--force", action="store_true", help="let --draw replace existing files")
    _add_decoder_options(p)
    p.set_defaults(func=_run_predict)


def _run_predict(args: argparse.Namespace) -> int:
    from ocrlite.inputs import expand_inputs

    if args.batch_size < 1:
        _err(f"--batch-size must be ≥ 1, got {args.batch_size}")
        return 2
    if args.draw and not args.page:
        _err("--draw needs --page (it draws the line boxes found on a page)")
        return 2
    try:
        rec = _load_recognizer(args)
    except SetupError as err:
        _err(str(err))
        return 2
    items = expand_inputs(args.paths)
    if args.page:
        return _predict_pages(rec, items, args)
    failed = 0
    records = []
    bad = {i for i, it in enumerate(items) if it.error}
    paths = [it.path for i, it in enumerate(items) if i not in bad]
    results = iter(rec.predict_paths(paths, batch_size=args.batch_size))
    for i, item in enumerate(items):
        if item.error:
            _err(f"{tsv_field(item.path)}: {item.error}")
            failed += 1
            continue
        r = next(results)
        if r.error:
            _err(f"{tsv_field(r.path)}: {r.error}")
            failed += 1
            continue
        pred = r.prediction
        assert pred is not None
        if args.format == "tsv":
            print(f"{tsv_field(r.path)}\t{pred.text}\t{pred.confidence:.4f}", flush=False)
        else:
            records.append(
                {"path": display_path(r.path), "text": pred.text, "confidence": round(pred.confidence, 4),
                 "char_confidences": [round(c, 4) for c in pred.char_confidences]}
            )
    return _finish(records if args.format == "json" else None, failed, len(items), "inputs")


# --------------------------------------------------------------------------- main
SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [_add_predict]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocrlite", description="Light CRNN text-line OCR.")
    parser.add_argument("--version", action="version", version=f"ocrlite {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the subcommand, return its exit status."""
    args = build_parser().parse_args(argv)
    # File names that are not valid UTF-8 come back from the OS as surrogates: write their
    # original bytes rather than crash (stdout) and escape them in messages (stderr).
    for stream, errors in ((sys.stdout, "surrogateescape"), (sys.stderr, "backslashreplace")):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors=errors)
    if sys.stdout is None:  # started with stdout closed (``>&-``)
        if args.func in (_run_predict, _run_eval):
            _err("standard output is closed: nothing can be printed (redirect it to a file)")
            return 2
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - summaries only; the command's files are its output
    _apply_data_root(args)
    import warnings

    import cv2

    # One OpenCV thread in the command-line tool (ocrlite batches lines itself; several OpenCV threads
    # only contend with onnxruntime's and deadlock forked workers). Never set at import: a host
    # application that imports ocrlite keeps its own OpenCV settings.
    cv2.setNumThreads(1)
    # Warnings (an animated GIF read at its first frame, a skipped synthetic draw) as one line each.
    warnings.showwarning = lambda message, category, filename, lineno, file=None, line=None: _err(f"warning: {message}")
    try:
        status = int(args.func(args))
        sys.stdout.flush()  # inside the handlers below: a full disk or closed pipe is reported, not a traceback
        return status
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except ModuleNotFoundError as err:  # an optional part that is not installed: say which extra brings it
        from ocrlite.extras import EXTRA_OF

        top = (err.name or "").split(".")[0]
        if top not in EXTRA_OF:
            raise
        extra = EXTRA_OF[top]
        how = "pip install ocrlite" if extra == "the base install" else f"pip install 'ocrlite[{extra}]'"
        _err(f"ocrlite {args.command} needs {top}, which is not installed: {how}")
        return 2
    except BrokenPipeError:
        # stdout closed by the reader (``| head``): stop quietly, but say so in the status.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so the interpreter's final flush does not fail
        except OSError:
            pass
        return 141
    except OSError as err:  # writing the results failed (a full disk, /dev/full, a broken terminal)
        where = err.filename or "standard output"
        _err(f"{where}: cannot write ({err.strerror or err})")
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so the interpreter's final flush does not fail
        except OSError:
            pass
        return 1


def _finish(records: list | None, failed: int, total: int, what: str) -> int:
    """Print the JSON records (if any), flush, report failures; the exit status (1 if any failed)."""
    if records is not None:
        json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
        print()
    sys.stdout.flush()
    if failed:
        _err(f"{failed} of {total} {what} failed")
    return 1 if failed else 0


def _draw_targets(draw: str, paths: list[str], several: bool) -> list[Path]:
    """One drawing per page: ``DRAW`` itself, or ``DRAW/STEM.boxes.png`` with repeated stems made unique."""
    from ocrlite.outputs import unique_names

    if not several:
        return [Path(draw)]
    return [Path(draw) / f"{stem}.boxes.png" for stem in unique_names([Path(p).stem for p in paths])]


def _predict_pages(rec, items, args: argparse.Namespace) -> int:
    """``predict --page``: one page per input image; text (or JSON) in input order; bad pages reported, others read."""
    from ocrlite.images import ImageLoadError
    from ocrlite.outputs import OutputError, check_outputs, write_image
    from ocrlite.page import draw_page

    several = len(items) > 1
    targets: list[Path] = []
    if args.draw:
        if several and Path(args.draw).exists() and not Path(args.draw).is_dir():
            _err(f"--draw {args.draw}: several pages need a folder for their drawings, and this is a file")
            return 2
        targets = _draw_targets(args.draw, [item.path for item in items], several)
        try:  # before any page is read: never onto an input, no two drawings with one name, a format we write
            check_outputs(targets, [item.path for item in items], args.force)
        except OutputError as err:
            _err(f"--draw {err}")
            return 2
    failed, records = 0, []
    for k, item in enumerate(items):
        if item.error:
            _err(f"{tsv_field(item.path)}: {item.error}")
            failed += 1
            continue
        try:
            result = rec.read_page(item.path, batch_size=args.batch_size)
        except (ImageLoadError, ValueError) as err:
            _err(f"{tsv_field(item.path)}: {err}")
            failed += 1
            continue
        if not result.lines:  # a page with no text is a failure of that page (exit 1), not silently empty
            _err(f"{tsv_field(item.path)}: no text lines found")
            failed += 1
        if args.draw:
            target = targets[k]
            try:
                write_image(target, draw_page(rec_gray(item.path), result))
            except (OutputError, OSError, ImageLoadError) as err:
                reason = err.strerror if isinstance(err, OSError) and err.strerror else err
                _err(f"--draw {tsv_field(str(target))}: could not write the drawing ({reason})")
                failed += 1
        if args.format == "json":
            records.append({"path": display_path(item.path), "skew_degrees": round(result.skew, 2),
                            "rotated_180": result.rotated_180, "no_text": not result.lines,
                            "lines": [line.to_dict() for line in result.lines]})
        else:
            if several:
                print(f"{'' if k == 0 else chr(10)}# {tsv_field(item.path)}")
            for line in result.lines:
                print(line.text)
    return _finish(records if args.format == "json" else None, failed, len(items), "pages")


def rec_gray(path: str):
    """The page as read for drawing (same loader and limit as ``read_page``)."""
    from ocrlite.images import load_gray
    from ocrlite.page import MAX_PAGE_PIXELS

    return load_gray(path, max_pixels=MAX_PAGE_PIXELS)


# --------------------------------------------------------------------------- synth
def _add_synth(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "synth",
        help="write a synthetic text-line set (images/, labels.tsv, preview.png)",
        description="Render synthetic text lines. Line i of a seed is identical on every run and worker count.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--out", required=True, help="output folder (must be empty or new, unless --force)")
    p.add_argument("--n", type=at_least(1), required=True, help="number of lines")
    p.add_argument("--seed", type=at_least(0), default=0)
    p.add_argument("--height", type=at_least(0), default=32, help="resize lines to this height (0 = keep render size)")
    p.add_argument("--fonts", default=None, help="folder of .ttf/.otf fonts (default: the shipped font library, or $OCRLITE_FONTS_DIR)")
    p.add_argument("--charset", default=None, help="charset file (default: charset v2, 216 characters: ASCII, Latin-1, quotes, dashes, signs)")
    p.add_argument("--corpus", default=None, help="word / phrase list, one per line (default: the shipped words.txt)")
    p.add_argument("--prose", default=None, help="running text, one paragraph per line (default: the shipped prose.txt)")
    p.add_argument("--terms", default=None, help="receipt vocabulary, one term per line (default: the shipped "
                   "receipt_terms.txt)")
    p.add_argument("--languages", default=None, metavar="DIR",
                   help="folder of LANG.prose.txt / LANG.names.txt / LANG.words.txt texts (default: the shipped "
                   "six European languages)")
    p.add_argument("--text-sources", nargs="+", default=None, metavar="SOURCE",
                   help="draw text only from these sources (their weights as in the default mix); "
                        "e.g. prose heading list_item citation caption table_row footnote equation")
    p.add_argument("--workers", type=at_least(1, MAX_THREADS), default=1, help="generator processes")
    p.add_argument("--strength", type=float, default=1.0, help="scales every degradation probability (0 = clean)")
    p.add_argument("--no-augment", action="store_true", help="skip the camera/scanner effects")
    p.add_argument("--format", choices=["folder", "lmdb"], default="folder",
                   help="folder: images/ + labels.tsv; lmdb: data.mdb (deep-text-recognition-benchmark / PaddleOCR layout)")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder")
    p.set_defaults(func=_run_synth)


def _load_charset(path: str | None):
    from ocrlite.charset import Charset

    return Charset.from_file(path) if path else Charset.default()


def _run_synth(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ocrlite.charset import CharsetError
    from ocrlite.synth.augment import AugmentConfig
    from ocrlite.synth.fonts import FONT_DIR
    from ocrlite.synth.generator import GeneratorConfig
    from ocrlite.synth.render import RenderConfig
    from ocrlite.synth.writer import write_synth_set

    out = Path(args.out)
    if args.n < 1:
        _err(f"--n must be ≥ 1, got {args.n}")
        return 2
    if not (math.isfinite(args.strength) and 0 <= args.strength <= 10):
        _err(f"--strength must be a number in 0..10 (0 = clean, 1 = the default mix), got {args.strength}")
        return 2
    if out.exists() and not out.is_dir():
        _err(f"{out}: exists and is not a folder")
        return 2
    if out.is_dir() and any(out.iterdir()) and not args.force:
        _err(f"{out}: folder is not empty; choose a new folder or pass --force to write into it")
        return 2
    from ocrlite.synth.text import SOURCE_WEIGHTS

    text_weights = None
    if args.text_sources:
        unknown = sorted(set(args.text_sources) - set(SOURCE_WEIGHTS))
        if unknown:
            _err(f"--text-sources: unknown source(s) {', '.join(unknown)}; valid: {', '.join(SOURCE_WEIGHTS)}")
            return 2
        text_weights = {name: (w if name in args.text_sources else 0.0) for name, (w, _) in SOURCE_WEIGHTS.items()}
    try:
        charset = _load_charset(args.charset)
        config = GeneratorConfig(
            fonts=args.fonts or FONT_DIR,
            corpus=args.corpus,
            prose=args.prose,
            terms=args.terms,
            languages=args.languages,
            text_weights=text_weights,
            augment=not args.no_augment,
            render=RenderConfig(strength=args.strength),
            augment_config=AugmentConfig(strength=args.strength),
        )
        write_synth_set(out, args.n, args.seed, charset, config, args.height or None, max(1, args.workers),
                        fmt=args.format)
    except (CharsetError, FileNotFoundError, ValueError) as err:
        _err(str(err))
        return 2
    except OSError as err:  # full disk, read-only folder, ...
        _err(f"{out}: cannot write the set ({err.strerror or err})")
        return 1
    where = f"{out}/data.mdb (LMDB)" if args.format == "lmdb" else f"{out}/labels.tsv and {out}/images/"
    print(f"wrote {args.n} lines to {where}, preview in {out}/preview.png")
    return 0


SUBCOMMANDS.append(_add_synth)


# --------------------------------------------------------------------------- train
def _parse_kwargs(pairs: list[str]) -> dict[str, object]:
    """``["width_mult=0.5", "middle_blocks=3"]`` → ``{"width_mult": 0.5, "middle_blocks": 3}``."""
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--backbone-kw expects KEY=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a recognizer (synthetic lines on the fly, optional real sets)",
        description="Train a CRNN. Writes RUN_DIR/best.pt (lowest validation CER), RUN_DIR/last.pt "
        "(resumable) and RUN_DIR/metrics.jsonl. Also runs data-parallel under "
        "`torchrun --nproc_per_node N -m ocrlite train ...`.",
        formatter_class=HelpFormatter,
    )
    # Validated against the registry when the command runs (parsing must not import torch).
    p.add_argument("--backbone", default="mobilenet",
                   help="squeezenet, mobilenet, mobilenet_v2, shufflenet or xception (see ocrlite.backbones)")
    p.add_argument("--backbone-kw", nargs="*", default=[], metavar="KEY=VALUE",
                   help="backbone knobs, e.g. width_mult=0.75")
    p.add_argument("--hidden-size", type=at_least(1), default=96, help="BiLSTM hidden units per direction")
    p.add_argument("--out", required=True, metavar="RUN_DIR")
    p.add_argument("--steps", type=at_least(1), default=None,
                   help="optimiser steps (default 10000; on --resume, the run's own unless given)")
    p.add_argument("--batch-size", type=at_least(1), default=32)
    p.add_argument("--height", type=at_least(8), default=32)
    p.add_argument("--width-scale", type=float, default=None, metavar="X",
                   help="stretch every line horizontally by X after the height resize, in training and in the "
                   "saved model (default: 1.0, or the --init model's)")
    p.add_argument("--charset", default=None, help="charset file (default: charset v2, 216 characters: ASCII, Latin-1, quotes, dashes, signs)")
    p.add_argument("--train-data", nargs="*", default=[], metavar="SET", help="real sets (folder with labels.tsv, label file or LMDB)")
    p.add_argument("--train-case", choices=("auto", "exact", "folded"), default="auto",
                   help="letter case of --train-data labels: folded = labelled in capitals whatever the image shows "
                   "(either case counts as right), exact = as written, auto = folded for a set with no lower-case "
                   "label letter")
    p.add_argument("--synth-ratio", type=float, default=None,
                   help="fraction of synthetic lines when --train-data is given (default 0.5)")
    p.add_argument("--val", nargs="*", default=[], metavar="SET", help="extra validation sets (scored case-folded)")
    _add_data_root(p)
    p.add_argument("--val-every", type=at_least(1), default=500)
    p.add_argument("--val-size", type=at_least(1), default=512, help="lines in each synthetic validation set")
    p.add_argument("--save-every", type=at_least(1), default=100, help="steps between last.pt saves")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup", type=at_least(0), default=300)
    p.add_argument("--init", default=None, metavar="CHECKPOINT", help="fine-tune from this checkpoint")
    p.add_argument("--resume", action="store_true", help="continue RUN_DIR/last.pt")
    p.add_argument("--stop-at", type=at_least(1), default=None, metavar="STEP",
                   help="stop at this step with a resumable last.pt (the LR schedule still targets --steps)")
    p.add_argument("--force", action="store_true", help="overwrite a non-empty RUN_DIR")
    p.add_argument("--seed", type=at_least(0), default=0)
    p.add_argument("--threads", type=at_least(0, MAX_THREADS), default=0, help="torch threads (0 = torch's default)")
    p.add_argument("--workers", type=at_least(0, MAX_THREADS), default=1, help="data-generating processes")
    p.add_argument("--bf16", action="store_true", help="bf16 autocast for the forward pass")
    p.add_argument("--max-width", type=at_least(16), default=1024, help="drop training lines wider than this (px)")
    p.add_argument("--fonts", default=None, help="training font folder (default: the shipped font library)")
    p.add_argument("--strength", type=float, default=1.0, help="degradation strength")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 …")
    p.set_defaults(func=_run_train)


def _run_train(args: argparse.Namespace) -> int:
    from ocrlite.charset import CharsetError
    from ocrlite.checkpoint import CheckpointError
    from ocrlite.data import LabelFileError
    from ocrlite.backbones import list_backbones
    from ocrlite.train import (CheckpointWriteError, RunDirError, TrainConfig, TrainingDiverged, TrainingStopped,
                               train)

    if args.backbone not in list_backbones():
        _err(f"unknown backbone {args.backbone!r}; choose one of: {', '.join(list_backbones())}")
        return 2
    try:
        charset = _load_charset(args.charset)
        cfg = TrainConfig(
            backbone=args.backbone, out=args.out, steps=args.steps, batch_size=args.batch_size, height=args.height,
            width_scale=args.width_scale,
            charset=charset.chars, backbone_kwargs=_parse_kwargs(args.backbone_kw), hidden_size=args.hidden_size,
            train_data=args.train_data, train_case=args.train_case,
            synth_ratio=args.synth_ratio if args.synth_ratio is not None else (0.5 if args.train_data else 1.0),
            val=args.val, val_every=args.val_every, val_size=args.val_size, save_every=args.save_every,
            lr=args.lr, warmup=args.warmup, seed=args.seed, threads=args.threads, workers=args.workers,
            bf16=args.bf16, init=args.init, max_width=args.max_width, fonts=args.fonts,
            strength=args.strength, device=args.device,
        )
        if not 0.0 <= cfg.synth_ratio <= 1.0:
            raise ValueError(f"--synth-ratio must be in [0, 1], got {cfg.synth_ratio}")
        train(cfg, resume=args.resume, force=args.force, stop_at=args.stop_at)
    except TrainingStopped as stopped:
        return 128 + stopped.signum  # last.pt saved; the shell's convention for "ended by a signal"
    except (TrainingDiverged, CheckpointWriteError) as err:
        _err(str(err))
        return 1
    except (RunDirError, CharsetError, CheckpointError, LabelFileError, ValueError, FileNotFoundError) as err:
        _err(str(err))
        return 2
    return 0


SUBCOMMANDS.append(_add_train)


# --------------------------------------------------------------------------- eval
def _add_eval(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="score a checkpoint on labelled sets (CER, WER, line accuracy, lines/s)",
        formatter_class=HelpFormatter,
    )
    p.add_argument("sets", nargs="+", metavar="SET", help="folder with labels.tsv, or a .tsv file")
    p.add_argument("--weights", default=None, help="checkpoint (default: the shipped default model)")
    p.add_argument("--fold-case", action="store_true", help="compare case-insensitively")
    p.add_argument("--ignore-space", action="store_true", help="drop all whitespace before comparing")
    p.add_argument("--errors", default=None, metavar="OUT.tsv", help="write the worst lines here")
    p.add_argument("--worst", type=at_least(1), default=200, help="how many lines --errors keeps")
    p.add_argument("--batch-size", type=at_least(1), default=64)
    p.add_argument("--threads", type=at_least(1, MAX_THREADS), default=None)
    p.add_argument("--json", action="store_true", help="print results as JSON")
    _add_data_root(p)
    _add_decoder_options(p)
    p.set_defaults(func=_run_eval)


def _run_eval(args: argparse.Namespace) -> int:
    import dataclasses
    from pathlib import Path

    from ocrlite.data import LabelFileError, read_label_set
    from ocrlite.evaluate import evaluate_lines

    if args.errors and Path(args.errors).exists():
        _err(f"{args.errors}: exists; refusing to overwrite it (choose another --errors path)")
        return 2
    try:
        rec = _load_recognizer(args)
    except SetupError as err:
        _err(str(err))
        return 2
    status = 0
    results = []
    for s in args.sets:
        try:
            lines, report = read_label_set(s)
        except LabelFileError as err:
            _err(str(err))
            status = 1
            continue
        if report.total_skipped:
            _err(report.summary())
        if rec.ascii:  # score ASCII predictions against the ASCII form of the labels
            from ocrlite.asciify import asciify

            lines = [dataclasses.replace(line, text=asciify(line.text, rec.strip_accents)) for line in lines]
        res = evaluate_lines(rec, lines, s, args.batch_size, args.fold_case, args.ignore_space)
        for path, reason in res.failed:
            _err(f"{path}: {reason}")
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
    if args.errors:
        rows = sorted((row for r in results for row in r.rows), key=lambda x: -x[3])[: args.worst]
        try:
            with open(args.errors, "x", encoding="utf-8") as f:
                f.write("path\ttruth\tprediction\tdistance\n")
                for path, truth, pred, d in rows:
                    f.write(f"{tsv_field(path)}\t{tsv_field(truth)}\t{tsv_field(pred)}\t{d}\n")
        except OSError as err:
            _err(f"--errors {args.errors}: cannot write ({err.strerror or err})")
            return 2
    return status


SUBCOMMANDS.append(_add_eval)


# --------------------------------------------------------------------------- bench
def _add_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="compare models side by side: size, MACs, latency, lines/s, CER; writes bench.md/.csv/.png",
        description="Measure every shipped model (or --weights, or untrained --backbones) in one run. "
        "Speed: threads fixed per measurement, warm-up first, medians reported.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--weights", nargs="*", default=None, help="checkpoints (default: every shipped model)")
    p.add_argument("--backbones", nargs="*", default=None,
                   help="measure untrained default-size models of these backbones instead (no accuracy)")
    p.add_argument("--sets", nargs="*", default=[], metavar="SET", help="labelled sets to score (case folded)")
    p.add_argument("--threads", type=at_least(1, MAX_THREADS), default=1, help="threads for the per-set measurements")
    p.add_argument("--limit", type=at_least(1), default=None, help="use at most this many lines per set")
    p.add_argument("--engine", nargs="+", choices=["torch", "onnx"], default=None,
                   help="engines to measure for each checkpoint (default: torch and onnx when onnxruntime is "
                   "installed, else torch)")
    p.add_argument("--out", default="bench", help="folder for bench.md, bench.csv, bench.png")
    p.set_defaults(func=_run_bench)


def _run_bench(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ocrlite.bench import bench_architectures, bench_checkpoints, bench_peers, write_reports
    from ocrlite.checkpoint import CheckpointError
    from ocrlite.data import LabelFileError, read_label_set
    from ocrlite.weights import WEIGHTS_DIR, onnxruntime_available, shipped_checkpoints

    command = "ocrlite " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["bench"] else "ocrlite bench"
    try:
        if args.backbones is not None:
            rows = bench_architectures(args.backbones)
        else:
            weights = [Path(w) for w in args.weights] if args.weights else shipped_checkpoints()
            if not weights:
                _err(f"no checkpoints in {WEIGHTS_DIR}; pass --weights FILE ... or --backbones")
                return 2
            engines = args.engine or (["torch", "onnx"] if onnxruntime_available() else ["torch"])
            rows = bench_checkpoints(weights, args.sets, args.threads, args.limit, engines)
            if args.sets:
                sets = {}
                for s in args.sets:
                    lines, _ = read_label_set(s)
                    lines = lines[: args.limit] if args.limit else lines
                    sets[Path(s).name] = (lines, [x.text for x in lines])
                rows += bench_peers(sets)
    except (CheckpointError, LabelFileError, ValueError) as err:
        _err(str(err))
        return 2
    out = Path(args.out)
    write_reports(rows, out, command, threads=args.threads)
    print((out / "bench.md").read_text(encoding="utf-8"))
    return 0


SUBCOMMANDS.append(_add_bench)


# --------------------------------------------------------------------------- export
def _add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a checkpoint to ONNX (dynamic batch and width; charset in the metadata)",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--weights", default=None, help="checkpoint (default: the shipped default model)")
    p.add_argument("--out", required=True, help="the .onnx file to write")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--int8", nargs="?", const="dynamic", default=None, choices=["dynamic", "dynamic-all", "static"],
                   help="quantise to int8 (dynamic, the default: int8 weights for the BiLSTM and output layer, convs "
                        "fp32 — smaller and faster on x86; dynamic-all: convs too, smallest but slow on x86; static: "
                        "activations too, calibrated on synthetic lines, measured to lose far more accuracy)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.set_defaults(func=_run_export)


def _run_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ocrlite.checkpoint import CheckpointError
    from ocrlite.export import export_onnx
    from ocrlite.predict import NoDefaultWeightsError, default_weights_path

    out = Path(args.out)
    if out.exists() and not args.force:
        _err(f"{out}: exists; pass --force to overwrite it")
        return 2
    try:
        weights = args.weights or default_weights_path()
        if args.weights and Path(args.weights).exists() and out.exists() and os.path.samefile(args.weights, out):
            raise ValueError(f"{out}: is the input checkpoint; choose another --out")
        export_onnx(weights, out, args.opset, args.int8)
    except (CheckpointError, NoDefaultWeightsError, ValueError) as err:
        _err(str(err))
        return 2
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB{', int8 ' + args.int8 if args.int8 else ''})")
    return 0


SUBCOMMANDS.append(_add_export)


# --------------------------------------------------------------------------- serve
def _add_serve(sub: argparse._SubParsersAction) -> None:
    from ocrlite.serve.config import ServeConfig

    d = ServeConfig()
    p = sub.add_parser(
        "serve",
        help="an HTTP service that reads lines and pages, with a page to try it at / (needs ocrlite[serve])",
        description="Serve the recognizer over HTTP: POST /v1/lines (one or more line images), POST /v1/page "
        "(a page image), GET /healthz, GET /v1/models, OpenAPI docs at /docs, and a page to drop an image on at /. "
        "Images go in multipart fields named 'file'. Binds to this machine only unless --host says otherwise.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface — the "
                   "service has no authentication)")
    p.add_argument("--port", type=at_least(0, 65535), default=8000, help="TCP port (0: any free port, printed)")
    p.add_argument("--weights", default=None, help="an .onnx model (default: the shipped default model)")
    p.add_argument("--workers", type=at_least(1, 64), default=1,
                   help="processes, each with its own copy of the model (docs/serve.md: how many for 2 or 16 cores)")
    p.add_argument("--threads", type=at_least(1, MAX_THREADS), default=None,
                   help="onnxruntime threads per worker (default: cores / workers)")
    p.add_argument("--max-bytes", type=at_least(1), default=d.max_bytes, help="largest request body in bytes (413)")
    p.add_argument("--max-pixels", type=at_least(1), default=d.max_pixels,
                   help="largest image in pixels, checked before decoding (413)")
    p.add_argument("--max-files", type=at_least(1, 1024), default=d.max_files, help="line images per /v1/lines request")
    p.add_argument("--timeout", type=float, default=d.timeout, help="seconds a request may take, upload included (503)")
    p.add_argument("--queue", type=at_least(1, 4096), default=d.queue,
                   help="requests a worker holds at once; one more is answered 503 with Retry-After")
    p.add_argument("--batch-size", type=at_least(1), default=d.batch_size, help="lines per recognition batch")
    p.add_argument("--no-access-log", dest="access_log", action="store_false", help="do not log each request")
    p.set_defaults(func=_run_serve)


def _run_serve(args: argparse.Namespace) -> int:
    from ocrlite.extras import MissingExtraError, available, require

    try:
        for module in ("fastapi", "uvicorn", "fastapi_offline"):
            require(module, "ocrlite serve")
        if not (available("python_multipart") or available("multipart")):  # its module's name until 0.0.13
            require("python_multipart", "ocrlite serve")
    except MissingExtraError as err:
        _err(str(err))
        return 2
    if not math.isfinite(args.timeout) or args.timeout <= 0:
        _err(f"--timeout must be a positive number of seconds, got {args.timeout}")
        return 2
    from ocrlite.serve.config import ServeConfig
    from ocrlite.serve.run import serve

    config = ServeConfig(weights=args.weights, threads=args.threads, max_bytes=args.max_bytes,
                         max_pixels=args.max_pixels, max_files=args.max_files, timeout=args.timeout,
                         queue=args.queue, batch_size=args.batch_size)
    try:
        return serve(config, args.host, args.port, args.workers, args.access_log)
    except ValueError as err:
        _err(str(err))
        return 2


SUBCOMMANDS.append(_add_serve)
