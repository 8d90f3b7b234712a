"""Real labelled line sets: a folder with ``labels.tsv`` (``images/x.png<TAB>text``) or a .tsv file.

Reading never stops at a bad row: rows are skipped with a reason, and :class:`SkipReport`
summarises what was skipped (with line numbers for the first few of each reason).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ocrlite.charset import Charset


@dataclass
class LabeledLine:
    """One image path and its transcription."""

    path: Path
    text: str


@dataclass
class SkipReport:
    """Rows skipped while reading a label file, by reason."""

    source: str
    kept: int = 0
    skipped: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, reason: str, line_no: int) -> None:
        self.skipped[reason].append(line_no)

    @property
    def total_skipped(self) -> int:
        return sum(len(v) for v in self.skipped.values())

    def summary(self, first: int = 5) -> str:
        """One line per reason: ``labels.tsv: skipped 3 rows without a tab (lines 4, 9, 12)``."""
        out = []
        for reason, lines in self.skipped.items():
            shown = ", ".join(str(n) for n in lines[:first]) + (", …" if len(lines) > first else "")
            out.append(f"{self.source}: skipped {len(lines)} row(s): {reason} (line {shown})")
        return "\n".join(out)


class LabelFileError(ValueError):
    """A label set that cannot be used at all (missing, unreadable, or nothing usable left)."""


def label_file_of(set_path: str | Path) -> Path:
    """``DIR`` → ``DIR/labels.tsv``; a .tsv/.txt file is returned as is."""
    path = Path(set_path)
    if path.is_dir():
        return path / "labels.tsv"
    return path


def read_label_set(set_path: str | Path, charset: Charset | None = None, check_images: bool = True
                   ) -> tuple[list[LabeledLine], SkipReport]:
    """Read a labelled set.

    Args:
        set_path: folder holding ``labels.tsv``, or the label file itself.
        charset: when given, rows with characters outside it are skipped (training needs that).
        check_images: skip rows whose image file does not exist.

    Raises:
        LabelFileError: no label file, unreadable, or no usable row.
    """
    labels = label_file_of(set_path)
    if not labels.is_file():
        raise LabelFileError(f"{labels}: label file not found (a set is a folder with labels.tsv, or a .tsv file)")
    try:
        raw = labels.read_bytes()
    except OSError as err:
        raise LabelFileError(f"{labels}: cannot read ({err.strerror})") from None
    text = raw.decode("utf-8-sig", errors="replace")
    report = SkipReport(str(labels))
    lines: list[LabeledLine] = []
    for no, row in enumerate(text.splitlines(), start=1):  # handles \n, \r\n and \r
        if not row.strip():
            report.add("blank line", no)
            continue
        if "\t" not in row:
            report.add("no tab between path and text", no)
            continue
        name, label = row.split("\t", 1)
        label = label.rstrip("\r\n")
        if "\ufffd" in row:
            report.add("not valid UTF-8", no)
            continue
        if not label.strip():
            report.add("empty label", no)
            continue
        if charset is not None and charset.unknown(label):
            report.add(f"characters outside the charset ({''.join(charset.unknown(label))[:20]!r})", no)
            continue
        path = Path(name.strip())
        path = path if path.is_absolute() else labels.parent / path
        if check_images and not path.is_file():
            report.add("image file missing", no)
            continue
        lines.append(LabeledLine(path, label))
    report.kept = len(lines)
    if not lines:
        detail = report.summary() or f"{labels}: file is empty"
        raise LabelFileError(f"{labels}: no usable rows\n{detail}")
    return lines, report
