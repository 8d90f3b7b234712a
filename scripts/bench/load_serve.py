#!/usr/bin/env python3
"""Load ``ocrlite serve`` with N concurrent clients and print what it sustains.

Starts its own server on 127.0.0.1 (``--serve-args`` are passed to ``ocrlite serve``), then for each
kind (lines: one real receipt line per request; pages: one page image per request) and each client
count runs the clients for ``--duration`` seconds: requests/s, p50/p95/p99 latency and errors.
``--soak S`` then runs a mixed load (``--soak-clients``, lines and pages) for S seconds and prints
the server's memory (RSS of the server and its workers) at start, every minute, and at the end.
Traffic only goes to the loopback address; every loop is bounded in time.

    python scripts/bench/load_serve.py --clients 1 8 32 --duration 30 --soak 600
"""

from __future__ import annotations

import argparse
import io
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, in MB (from /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
            todo.extend(int(c) for c in children)
        except (OSError, StopIteration):
            continue
    return total / 1024


def start_server(args: list[str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "ocrlite", "serve", "--port", "0", "--no-access-log", *args],
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        sys.stderr.write(line)
        if line.startswith("ocrlite serve: http://"):
            url = line.split()[2].rstrip("/")
            break
    else:
        raise SystemExit("the server did not start")
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=5).json().get("status") == "ok":
                return proc, url
        except (httpx.TransportError, ValueError):
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server never answered /healthz")


def line_payloads(folder: Path, n: int) -> list[bytes]:
    """``n`` real line images (PNG bytes) from a labelled set, or rendered lines when it is absent."""
    images = sorted((folder / "images").glob("*.png")) if (folder / "images").is_dir() else []
    if images:
        rng = random.Random(0)
        return [p.read_bytes() for p in rng.sample(images, min(n, len(images)))]
    from PIL import ImageDraw

    out = []
    for k in range(n):
        im = Image.new("L", (300, 40), 255)
        ImageDraw.Draw(im).text((5, 10), f"TOTAL RM {k}.{k % 100:02d} CASH", fill=0)
        buf = io.BytesIO()
        im.save(buf, "PNG")
        out.append(buf.getvalue())
    return out


def run_clients(url: str, kind: str, payloads: list[tuple[str, bytes]], clients: int, seconds: float) -> dict:
    """``clients`` threads, each sending requests back to back for ``seconds``; latencies and statuses."""
    path = "/v1/lines" if kind == "lines" else "/v1/page"
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(k: int) -> None:
        rng = random.Random(k)
        with httpx.Client(timeout=120) as session:
            while time.monotonic() < stop_at:
                name, data = rng.choice(payloads)
                t0 = time.perf_counter()
                try:
                    status = session.post(url + path, files={"file": (name, data)}).status_code
                except httpx.HTTPError:
                    status = -1
                took = time.perf_counter() - t0
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    if status == 200:
                        latencies.append(took)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 180)
    wall = time.monotonic() - started
    lat = np.array(latencies) * 1000 if latencies else np.array([float("nan")])
    return {"kind": kind, "clients": clients, "ok": len(latencies), "rps": len(latencies) / wall,
            "p50": float(np.percentile(lat, 50)), "p95": float(np.percentile(lat, 95)),
            "p99": float(np.percentile(lat, 99)), "errors": {s: c for s, c in statuses.items() if s != 200}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--kinds", nargs="+", choices=["lines", "pages"], default=["lines", "pages"])
    parser.add_argument("--duration", type=float, default=30, help="seconds per (kind, clients) cell")
    parser.add_argument("--soak", type=float, default=0, help="seconds of mixed load for the memory run (0: none)")
    parser.add_argument("--soak-clients", type=int, default=8)
    parser.add_argument("--lines", type=Path, default=REPO.parent / "shared" / "data" / "sroie_dev",
                        help="a labelled set whose line images are sent (default: ../shared/data/sroie_dev)")
    parser.add_argument("--pages", type=Path, nargs="+",
                        default=[REPO / "docs" / "receipt_page.jpg", REPO / "docs" / "document_page.jpg"])
    parser.add_argument("--serve-args", default="", help="extra `ocrlite serve` options, e.g. '--workers 2 --threads 1'")
    args = parser.parse_args()

    lines = [(f"line{k}.png", b) for k, b in enumerate(line_payloads(args.lines, 256))]
    pages = [(p.name, p.read_bytes()) for p in args.pages]
    proc, url = start_server(args.serve_args.split())
    try:
        for kind, payloads in (("lines", lines), ("pages", pages)):  # warm-up: first requests load caches
            if kind in args.kinds:
                run_clients(url, kind, payloads, 2, 3)
        print(f"# ocrlite serve {args.serve_args or '(defaults)'} · {os.cpu_count()} cores · "
              f"{args.duration:g} s per cell")
        print("| requests | clients | requests/s | p50 ms | p95 ms | p99 ms | errors |")
        print("|---|---|---|---|---|---|---|")
        for kind, payloads in (("lines", lines), ("pages", pages)):
            if kind not in args.kinds:
                continue
            for clients in args.clients:
                r = run_clients(url, kind, payloads, clients, args.duration)
                what = "1 line" if kind == "lines" else "1 page"
                print(f"| {what} | {clients} | {r['rps']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | "
                      f"{r['errors'] or 'none'} |", flush=True)
        if args.soak > 0:
            pid = proc.pid
            samples = [(0.0, rss_mb(pid))]
            results: list[dict] = []
            mixed = threading.Thread(target=lambda: results.append(
                run_clients(url, "lines", lines, max(1, args.soak_clients - 2), args.soak)))
            paging = threading.Thread(target=lambda: results.append(
                run_clients(url, "pages", pages, min(2, args.soak_clients), args.soak)))
            t0 = time.monotonic()
            mixed.start()
            paging.start()
            while mixed.is_alive() or paging.is_alive():
                time.sleep(5)
                if time.monotonic() - t0 >= 60 * len(samples):
                    samples.append((time.monotonic() - t0, rss_mb(pid)))
            samples.append((time.monotonic() - t0, rss_mb(pid)))
            print(f"\n# soak: {args.soak:g} s, {max(1, args.soak_clients - 2)} line clients + "
                  f"{min(2, args.soak_clients)} page clients")
            for r in results:
                print(f"{r['kind']}: {r['ok']} answered, {r['rps']:.1f}/s, p50 {r['p50']:.0f} ms, "
                      f"p99 {r['p99']:.0f} ms, errors {r['errors'] or 'none'}")
            print("server RSS MB over time: " + ", ".join(f"{t / 60:.0f} min {m:.0f}" for t, m in samples))
            print(f"server RSS: {samples[0][1]:.0f} MB at start (after warm-up), {samples[-1][1]:.0f} MB at the end, "
                  f"peak {max(m for _, m in samples):.0f} MB")
    finally:
        proc.terminate()
        proc.wait(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
