"""Command-line interface: ``ocrlite {predict,eval,synth,train,export,bench,serve} ...``, one module per command.

Each command module has ``add(subparsers)`` and ``run(args) -> int`` and imports its heavy modules
lazily, so ``ocrlite --help`` stays fast. ``main(argv)`` returns the exit status: 0 success, 1 some
inputs failed, 2 usage/setup error.

Layer 9 (the top with the package's own ``__init__``): may import every layer.
"""

from __future__ import annotations

import argparse
import os
import sys

from ocrlite.cli import (batch, bench, eval as eval_command, export, models, predict, serve, synth, train, train_detector,
                         train_line_turn)
from ocrlite.cli.common import print_error as _err
from ocrlite.cli.common import apply_data_root
from ocrlite.cli.common import load_recognizer_for as _load_recognizer  # noqa: F401  (old name)
from ocrlite.cli.common import tsv_field  # noqa: F401  (re-exported)
from ocrlite.utils.version import __version__

#: The commands, in the order ``ocrlite --help`` lists them.
COMMANDS = (predict, batch, models, synth, train, train_detector, train_line_turn, eval_command, bench, export, serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocrlite", description="Light CRNN text-line OCR.")
    parser.add_argument("--version", action="version", version=f"ocrlite {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add(sub)
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
        if args.command in ("predict", "eval"):
            _err("standard output is closed: nothing can be printed (redirect it to a file)")
            return 2
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - summaries only; the command's files are its output
    apply_data_root(args)
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
        from ocrlite.utils.extras import EXTRA_OF

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
