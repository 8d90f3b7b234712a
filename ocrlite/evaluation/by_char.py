"""Per-character accuracy (``ocrlite eval --by-char``): for every character of the labels (and the model's
charset), how often it occurs, its recall and precision, and what it is read as when it is misread.

Each prediction is aligned to its label with a Levenshtein alignment (substitutions preferred over an
insertion and a deletion, so ``ê`` read as ``é`` counts as the confusion ``ê→é``). A label character is
*recalled* when the alignment matches it to the same character; a predicted character is *precise* when
it is matched to the same label character. Deleted characters are confused with ``∅`` (nothing read);
inserted ones count against the precision of what was read.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

#: What a deleted character is "read as" in the confusion list.
NOTHING = "∅"


def align(truth: str, pred: str) -> list[tuple[str | None, str | None]]:
    """A minimal-cost alignment of ``truth`` and ``pred`` as ``(truth char, predicted char)`` pairs
    (None on the side that has no character: a deletion or an insertion)."""
    n, m = len(truth), len(pred)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = i
    for j in range(m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        row, prev, a = cost[i], cost[i - 1], truth[i - 1]
        for j in range(1, m + 1):
            row[j] = min(prev[j - 1] + (a != pred[j - 1]), prev[j] + 1, row[j - 1] + 1)
    pairs: list[tuple[str | None, str | None]] = []
    i, j = n, m
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (truth[i - 1] != pred[j - 1]):
            pairs.append((truth[i - 1], pred[j - 1]))
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + 1:
            pairs.append((truth[i - 1], None))
            i -= 1
        else:
            pairs.append((None, pred[j - 1]))
            j -= 1
    return pairs[::-1]


@dataclass
class CharStats:
    count: int = 0        # occurrences in the labels
    recalled: int = 0     # of those, read as themselves
    predicted: int = 0    # times the model wrote it
    correct: int = 0      # of those, matching the same label character
    confusions: Counter = field(default_factory=Counter)  # what it was read as, when misread

    @property
    def recall(self) -> float:
        return self.recalled / self.count if self.count else 0.0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0


def char_report(predictions: Sequence[str], truths: Sequence[str]) -> dict[str, CharStats]:
    """Per-character statistics over aligned ``predictions`` and ``truths`` (same order, compared as given)."""
    stats: dict[str, CharStats] = defaultdict(CharStats)
    for pred, truth in zip(predictions, truths):
        for t, p in align(truth, pred):
            if t is not None:
                stats[t].count += 1
                if p == t:
                    stats[t].recalled += 1
                else:
                    stats[t].confusions[NOTHING if p is None else p] += 1
            if p is not None:
                stats[p].predicted += 1
                if p == t:
                    stats[p].correct += 1
    return dict(stats)


def report_rows(stats: dict[str, CharStats], charset: str | None = None, min_count: int = 1,
                target: float | None = None) -> list[dict]:
    """Rows for printing, worst recall first: character, count, recall, precision, top confusions, and
    whether it is under ``target`` recall. Characters of ``charset`` never seen are listed with count 0."""
    chars = set(stats) | set(charset or "")
    rows = []
    for ch in chars:
        s = stats.get(ch, CharStats())
        if s.count < min_count and not (charset and ch in charset and s.count == 0 and min_count <= 0):
            continue
        top = ", ".join(f"{ch}→{other} {n}" for other, n in s.confusions.most_common(3))
        rows.append({"char": ch, "count": s.count, "recall": round(s.recall, 4), "precision": round(s.precision, 4),
                     "confusions": top, "below_target": bool(target is not None and s.count and s.recall < target)})
    return sorted(rows, key=lambda r: (r["recall"] if r["count"] else 2.0, -r["count"], r["char"]))
