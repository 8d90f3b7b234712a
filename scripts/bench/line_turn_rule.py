"""How well each rule for turning a single line round works, on the lines the page reader really cuts.

For every page of a set: the shipped detector's boxes, oriented as the page reader orients them, cut out
(``ocrlite.pages.learned.cut_lines``); each crop is read upright and turned round (as a line printed upside
down on an upright page would present itself) and scored by the line-turn classifier both ways. Then for
each rule: the share of upright lines it turns (wrongly) and of turned lines it turns back (rightly).

    python scripts/bench/line_turn_rule.py --pages ../shared/data/sroie_pages_train --first 60 \
        --line-turn weights/runs/line_turn/line_turn.onnx [--cache rows.json] [--time]

Rules: ``confidence`` (the reader's rule before the classifier, and still its rule without one: read below
0.8 and turned at least 0.15 more confident), ``classifier >= t`` alone, and ``classifier >= t and turned reads
LINE_TURN_MARGIN more confidently`` for lines read below LINE_TURN_BELOW (the page reader's rule at t = LINE_TURN_P).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def collect(pages_dir: str, first: int, line_turn_path: str | None) -> list[dict]:
    import ocrlite
    from ocrlite.datasets.page_sets import read_page_set
    from ocrlite.detection.postprocess import dominant_angle
    from ocrlite.pages import learned
    from ocrlite.pages.reader import resolve_detector
    from ocrlite.recognition.line_turn import OnnxLineTurn, default_line_turn

    rec = ocrlite.load(threads=1)
    det = resolve_detector("learned")
    turn = OnnxLineTurn.load(line_turn_path, threads=1) if line_turn_path else default_line_turn()
    rows = []
    for page in read_page_set(Path(pages_dir)).pages[:first]:
        gray = page.load()
        boxes, _ = det.detect(gray)
        if not boxes:
            continue
        angle = dominant_angle(boxes)
        boxes, crops = learned.cut_lines(gray, [learned.align_to(b, angle) for b in boxes])
        crops = [c for c in crops if c.shape[1] >= 4]
        turned = [c[::-1, ::-1] for c in crops]
        up, down = learned._read(rec, crops, 32), learned._read(rec, turned, 32)
        p_up, p_down = turn.turned_probability(crops), turn.turned_probability(turned)
        for c, u, d, pu, pd in zip(crops, up, down, p_up, p_down):
            rows.append({"page": page.image_path.name, "w": c.shape[1], "h": c.shape[0],
                         "up_text": u.prediction.text, "up_conf": u.prediction.confidence, "up_p": float(pu),
                         "down_text": d.prediction.text, "down_conf": d.prediction.confidence, "down_p": float(pd)})
    return rows


def time_pages(pages_dir: str, first: int, repeats: int = 3) -> tuple[float, float]:
    """Median seconds per page of the learned page reader with the shipped line-turn classifier and without it
    (the confidence rule), one thread, each page read both ways in alternating order, after a warm-up page."""
    import time

    import ocrlite
    from ocrlite.datasets.page_sets import read_page_set
    from ocrlite.pages import learned
    from ocrlite.pages.reader import resolve_detector
    from ocrlite.recognition.line_turn import default_line_turn

    rec, det, turn = ocrlite.load(threads=1), resolve_detector("learned"), default_line_turn()
    if turn is None:
        raise SystemExit("no shipped line-turn classifier to time")
    grays = [page.load() for page in read_page_set(Path(pages_dir)).pages[:first]]
    learned.read_page_learned(rec, det, grays[0], line_turn=turn)
    times: dict[bool, list[float]] = {True: [], False: []}
    original = learned.default_line_turn
    try:
        for k in range(repeats):
            for i, gray in enumerate(grays):
                for use in ((True, False) if (i + k) % 2 else (False, True)):
                    learned.default_line_turn = (lambda: turn) if use else (lambda: None)
                    start = time.perf_counter()
                    learned.read_page_learned(rec, det, gray)
                    times[use].append(time.perf_counter() - start)
    finally:
        learned.default_line_turn = original
    return float(np.median(times[True])), float(np.median(times[False]))


def rates(rows: list[dict], turns) -> tuple[float, float]:
    """(share of upright lines turned, share of turned lines turned back) under ``turns(conf_as_seen, conf_other_way,
    p_as_seen)``."""
    wrong = np.mean([turns(r["up_conf"], r["down_conf"], r["up_p"]) for r in rows])
    right = np.mean([turns(r["down_conf"], r["up_conf"], r["down_p"]) for r in rows])
    return float(wrong), float(right)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", required=True)
    ap.add_argument("--first", type=int, default=60)
    ap.add_argument("--line-turn", default=None, help="line-turn ONNX file (default: the shipped one)")
    ap.add_argument("--cache", default=None, help="JSON of the per-line rows: read if it exists, else written")
    ap.add_argument("--time", action="store_true", help="also time the page reader with and without the classifier")
    args = ap.parse_args()
    if args.cache and Path(args.cache).is_file():
        rows = json.loads(Path(args.cache).read_text())
    else:
        rows = collect(args.pages, args.first, args.line_turn)
        if args.cache:
            Path(args.cache).write_text(json.dumps(rows))
    print(f"{len(rows)} lines; each rule: upright lines turned (wrongly) | upside-down lines turned back")
    print(f"  confidence rule (< 0.8, +0.15):   {rates(rows, lambda c, o, p: c < 0.8 and o > c + 0.15)[0]:6.2%} | "
          f"{rates(rows, lambda c, o, p: c < 0.8 and o > c + 0.15)[1]:6.2%}")
    from ocrlite.pages.learned import LINE_TURN_BELOW, LINE_TURN_MARGIN, LINE_TURN_P

    for t in sorted({0.5, 0.7, 0.8, 0.9, 0.95, LINE_TURN_P}):
        alone = rates(rows, lambda c, o, p, t=t: p >= t)
        margin = rates(rows, lambda c, o, p, t=t: c < LINE_TURN_BELOW and p >= t and o >= c + LINE_TURN_MARGIN)
        shipped = "  <- the page reader's rule" if t == LINE_TURN_P else ""
        print(f"  classifier >= {t:.2f}: {alone[0]:6.2%} | {alone[1]:6.2%};  read < {LINE_TURN_BELOW} and turned "
              f"{LINE_TURN_MARGIN} more confidently: {margin[0]:6.2%} | {margin[1]:6.2%}{shipped}")
    if args.time:
        with_turn, without = time_pages(args.pages, args.first)
        print(f"seconds per page (median, 1 thread): with the classifier {with_turn:.3f}, without {without:.3f} "
              f"({with_turn / without:.2f}x)")


if __name__ == "__main__":
    main()
