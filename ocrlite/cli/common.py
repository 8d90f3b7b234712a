"""What the command modules share: messages, argument types, the help formatter, the data-root
option, the recognizer built from the decoding options, and the JSON/exit-status finish."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from ocrlite.utils.limits import MAX_BEAM_WIDTH


def print_error(msg: str) -> None:
    from ocrlite.utils.progress import write_stderr

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
                or action.default is argparse.SUPPRESS \
                or isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            return text
        return super()._get_help_string(action)


def add_data_root(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-root", default=None, metavar="DIR",
                   help="a folder label-file image paths may point into besides the set's own folder (also "
                   "$OCRLITE_DATA_ROOT); any other path in a label file is refused and counted")


def apply_data_root(args: argparse.Namespace) -> None:
    """``--data-root`` reaches every reader (and training's data workers) through the environment."""
    if getattr(args, "data_root", None):
        from ocrlite.datasets.line_sets import DATA_ROOT_ENV

        os.environ[DATA_ROOT_ENV] = str(Path(args.data_root).resolve())


class SetupError(Exception):
    """A model or option problem that stops a command before any input is read (exit 2)."""


def load_recognizer_for(args: argparse.Namespace):
    """The recognizer for ``--engine`` (onnx: onnxruntime only, torch is never imported), with decoder options."""
    from ocrlite.api import load_recognizer

    try:
        rec = load_recognizer(args.weights, getattr(args, "engine", "auto"), args.threads)
        lexicon = None
        if getattr(args, "lexicon", None):
            from ocrlite.recognition.decode import load_lexicon

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


def add_decoder_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=["auto", "torch", "onnx"], default="auto",
                   help="auto: by the --weights suffix (.onnx → onnxruntime, else torch); with no --weights, the "
                   "shipped ONNX default when onnxruntime is installed, else the torch checkpoint")
    p.add_argument("--decoder", choices=["greedy", "beam"], default="greedy",
                   help="greedy: the best class per column (fast); beam: CTC prefix beam search (needed for --lexicon)")
    p.add_argument("--beam-width", type=at_least(1, MAX_BEAM_WIDTH), default=8,
                   help="prefixes kept per column by --decoder beam (wider: slower, rarely better past 8)")
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
                   "value stored in the model file; scripts/ship/tune_width_scale.py measures the best one)")
    p.add_argument("--trim-to-text", action=argparse.BooleanOptionalAction, default=None,
                   help="cut each line to the rows its text occupies before resizing, so loose crops are read "
                   "at the letter size of tight ones (default: the setting stored in the model file)")


def finish_records(records: list | None, failed: int, total: int, what: str) -> int:
    """Print the JSON records (if any), flush, report failures; the exit status (1 if any failed)."""
    if records is not None:
        json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
        print()
    sys.stdout.flush()
    if failed:
        print_error(f"{failed} of {total} {what} failed")
    return 1 if failed else 0


def load_charset(path: str | None):
    from ocrlite.recognition.charset import Charset

    return Charset.from_file(path) if path else Charset.default()


def run_page_training(train: Callable[[], object]) -> int:
    """Run a page-model trainer (``train-detector``, ``train-line-turn``) and map its ending to an exit status:
    0 done; 2 a bad option or run folder (one line); 130 stopped by a signal (last.pt saved); 1 diverged."""
    from ocrlite.training.config import RunDirError, TrainingDiverged, TrainingStopped

    try:
        train()
    except (RunDirError, ValueError) as err:
        print_error(str(err))
        return 2
    except TrainingStopped as err:
        print_error(f"{err}; last.pt saved")
        return 130
    except TrainingDiverged as err:
        print_error(str(err))
        return 1
    return 0


def add_page_training_options(p: argparse.ArgumentParser, what: str, *, out: str, steps: int, batch_size: int,
                              batch_unit: str, lr: float, warmup: int, real_ratio: float, val_every: int,
                              save_every: int) -> None:
    """The options every page-model trainer has (``train-detector``, ``train-line-turn``), with its defaults;
    ``what`` names the samples its workers draw ("training scenes")."""
    p.add_argument("--out", default=out, help="run folder (best.pt, last.pt, metrics.jsonl)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last.pt")
    p.add_argument("--force", action="store_true", help="overwrite a non-empty --out")
    p.add_argument("--steps", type=at_least(1), default=steps, help="optimiser steps in the schedule")
    p.add_argument("--batch-size", type=at_least(1), default=batch_size, help=f"{batch_unit} per step")
    p.add_argument("--lr", type=float, default=lr, help="peak learning rate (AdamW; warm-up then cosine)")
    p.add_argument("--warmup", type=at_least(0), default=warmup, help="linear warm-up steps")
    p.add_argument("--pages", nargs="*", default=[], metavar="DIR",
                   help="annotated page sets to train on besides synthetic data (images/ + boxes/ with "
                   "x1,y1,...,y4,TEXT rows; see docs/pages.md)")
    p.add_argument("--real-ratio", type=float, default=real_ratio, help="share of samples drawn from --pages")
    p.add_argument("--val-every", type=at_least(1), default=val_every, help="validate and save best.pt every N steps")
    p.add_argument("--save-every", type=at_least(1), default=save_every,
                   help="save the resumable last.pt every N steps")
    p.add_argument("--seed", type=at_least(0), default=0, help="seed of the sample stream")
    p.add_argument("--threads", type=at_least(0), default=0, help="torch threads (0: torch's default)")
    p.add_argument("--workers", type=at_least(0), default=1, help=f"processes drawing {what}")
