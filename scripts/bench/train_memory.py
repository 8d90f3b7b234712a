"""Peak memory of a training run, all its processes together (Linux: reads /proc).

    python scripts/bench/train_memory.py -- ocrlite train --backbone xception --steps 200 --batch-size 16 \\
        --out /tmp/mem_run --force --threads 2 --workers 1

Runs the command after ``--`` and samples, every ``--every`` seconds, the proportional set size (PSS:
shared pages split between the processes that share them, so the sum is what the run really holds) and
the resident size of it and every process it starts (the data workers). Prints the peak of the sum and
each process's own peak, by role (trainer / worker). ``ru_maxrss`` or ``/usr/bin/time`` give only the
largest single process and count pages shared with the workers twice; this is the number to compare.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path


def children(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc/PID/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                pass
    return out


def memory_kib(pid: int) -> tuple[int, int]:
    """``(PSS, RSS)`` of a process in KiB (0, 0 when it has ended)."""
    pss = rss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Rss:"):
                rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        print("usage: train_memory.py [--every S] -- COMMAND ...", file=sys.stderr)
        return 2
    cut = argv.index("--")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=float, default=0.25, help="seconds between samples (default: 0.25)")
    parser.add_argument("--trace", type=Path, default=None, help="also write every sample here (TSV: seconds, GiB)")
    args = parser.parse_args(argv[:cut])
    command = argv[cut + 1:]
    start = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak_total = (0, 0.0)
    peak_by_pid: dict[int, int] = {}
    samples: list[tuple[float, int]] = []
    while proc.poll() is None:
        total = 0
        for pid in children(proc.pid):
            pss, _ = memory_kib(pid)
            total += pss
            peak_by_pid[pid] = max(peak_by_pid.get(pid, 0), pss)
        samples.append((time.monotonic() - start, total))
        if total > peak_total[0]:
            peak_total = (total, time.monotonic() - start)
        time.sleep(args.every)
    err = proc.stderr.read() if proc.stderr else ""
    if args.trace:
        args.trace.write_text("".join(f"{t:.1f}\t{kib / 1024**2:.3f}\n" for t, kib in samples), encoding="utf-8")
    if proc.returncode:
        print(err[-2000:], file=sys.stderr)
        print(f"error: the command exited with {proc.returncode}", file=sys.stderr)
        return 1
    print(f"command: {' '.join(command)}")
    print(f"wall: {time.monotonic() - start:.0f} s")
    print(f"peak PSS, all processes: {peak_total[0] / 1024**2:.2f} GiB (at {peak_total[1]:.0f} s)")
    for pid, kib in sorted(peak_by_pid.items()):
        role = "trainer" if pid == proc.pid else "worker/child"
        print(f"  {role} {pid}: peak PSS {kib / 1024**2:.2f} GiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
