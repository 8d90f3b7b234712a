"""Exit 0 if a training run has reached the end of its declared schedule, 1 if not, 2 if it has no
readable ``last.pt``. For shell scripts that resume or ship runs (``scripts/train/train_comparison.sh``,
``scripts/ship/ship_comparison.sh``).

    python scripts/train/run_finished.py RUN_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

from ocrlite.nn.checkpoint import CheckpointError, read_checkpoint


def run_finished(run_dir: str | Path) -> bool:
    """True when ``RUN_DIR/last.pt`` stands at or past the run's declared ``--steps``.

    Raises:
        CheckpointError: no readable last.pt, or one without training state.
    """
    path = Path(run_dir) / "last.pt"
    state = read_checkpoint(path)
    try:
        return int(state["resume"]["step"]) >= int(state["train"]["steps"])
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"{path}: no training state (not a run's last.pt)") from None


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python scripts/train/run_finished.py RUN_DIR", file=sys.stderr)
        return 2
    try:
        return 0 if run_finished(argv[0]) else 1
    except CheckpointError as err:
        print(f"run_finished.py: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
