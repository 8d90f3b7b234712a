"""Markdown summary of training runs for the model card: totals, the shipped step, and the validation curve.

    python scripts/train/run_summary.py weights/runs/mobilenet weights/runs/shufflenet [--curve] [--plot curves.png]

Reads RUN_DIR/metrics.jsonl (one line per validation) and RUN_DIR/best.pt's metrics — or, in a
fresh checkout where runs hold only their committed metrics.jsonl, the metrics of the shipped
weights/*.pt that was trained in RUN_DIR (its stored ``train.out``). Wall time is training's own
clock (validation included; time the process was paused is included too). ``--plot`` draws every
run's validation CER against samples seen, one panel per validation set, so runs of one budget can
be compared as learning curves.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ocrlite.nn.checkpoint import read_checkpoint
from ocrlite.recognition.zoo import WEIGHTS_DIR, shipped_checkpoints


def read_metrics(run: Path) -> list[dict]:
    """The validation records of a run, in step order (a resumed run may repeat a step: the last wins)."""
    by_step: dict[int, dict] = {}
    for line in (run / "metrics.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            by_step[record["step"]] = record
    return [by_step[k] for k in sorted(by_step)]


def curve_table(records: list[dict]) -> list[str]:
    """One row per validation: step, samples, loss, then CER per validation set."""
    sets = list(records[0]["val"]) if records else []
    rows = ["| step | samples seen | train loss | " + " | ".join(f"{s} CER" for s in sets) + " |",
            "|---|---|---|" + "---|" * len(sets)]
    for r in records:
        cers = " | ".join(f"{r['val'][s]['cer']:.2%}" for s in sets)
        rows.append(f"| {r['step']} | {r['samples_seen']:,} | {r['loss']:.3f} | {cers} |")
    return rows


def plot_curves(runs: dict[str, list[dict]], out: Path) -> None:
    """Validation CER (log scale) against samples seen: one panel per validation set, one line per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = list(next(iter(runs.values()))[0]["val"])
    fig, axes = plt.subplots(1, len(sets), figsize=(4.2 * len(sets), 3.6), sharey=True, squeeze=False)
    for ax, name in zip(axes[0], sets):
        for run, records in runs.items():
            points = [(r["samples_seen"] / 1000, 100 * r["val"][name]["cer"]) for r in records if name in r["val"]]
            if points:  # a run validated on other sets has no line in this panel
                ax.plot(*zip(*points), marker="o", markersize=3, label=run)
        ax.set_title(name)
        ax.set_xlabel("samples seen (thousands)")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("CER (%)")
    axes[0][-1].legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def best_checkpoint(run: Path) -> Path | None:
    """RUN/best.pt if present, else the shipped checkpoint whose ``train.out`` is RUN; None if neither."""
    if (run / "best.pt").is_file():
        return run / "best.pt"
    for path in shipped_checkpoints():
        out = read_checkpoint(path).get("train", {}).get("out")
        # train.out is as typed at training time, relative to the repository root
        if out is not None and (WEIGHTS_DIR.parent / out).resolve() == run.resolve():
            return path
    return None


def summary_row(run: Path, best_path: Path) -> str:
    """``| run | backbone | steps | samples | wall h | best step | CER per set |`` for the best checkpoint."""
    records = read_metrics(run)
    best = read_checkpoint(best_path)
    train, metrics = best.get("train", {}), best.get("metrics", {})
    last = records[-1]
    cers = " | ".join(f"{v['cer']:.2%}" for v in metrics.get("val", {}).values())
    return (f"| {run.name} | {train.get('backbone', '?')} | {last['step']:,} of {train.get('steps', '?')} | "
            f"{last['samples_seen']:,} | {last['elapsed_s'] / 3600:.2f} | {metrics.get('step', '?')} | {cers} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--curve", action="store_true", help="also print each run's validation curve")
    parser.add_argument("--plot", type=Path, metavar="PNG", help="also draw the runs' learning curves into PNG")
    args = parser.parse_args()
    best = {run: best_checkpoint(run) for run in args.runs}
    missing = [r for r in args.runs if not (r / "metrics.jsonl").is_file() or best[r] is None]
    if missing:
        print(f"{missing[0]}: no metrics.jsonl, or neither best.pt nor a shipped weights/*.pt trained there "
              "(not a finished validation yet)", file=sys.stderr)
        return 2
    sets = list(read_metrics(args.runs[0])[0]["val"])
    print("| run | backbone | steps | samples seen | wall time (h) | shipped step | "
          + " | ".join(f"{s} CER" for s in sets) + " |")
    print("|---|---|---|---|---|---|" + "---|" * len(sets))
    for run in args.runs:
        print(summary_row(run, best[run]))
    if args.curve:
        for run in args.runs:
            print(f"\n{run.name}:\n")
            print("\n".join(curve_table(read_metrics(run))))
    if args.plot:
        plot_curves({run.name: read_metrics(run) for run in args.runs}, args.plot)
        print(f"\nlearning curves: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
