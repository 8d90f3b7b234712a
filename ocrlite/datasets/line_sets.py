"""Real labelled line sets, in the formats users have. A SET is, detected from what the path holds:

- a folder with ``labels.tsv`` (``images/x.png<TAB>text``), or a ``.tsv``/``.txt`` label file —
  also PaddleOCR's recognition label files (``image_path<TAB>label``), whose paths may be
  relative to a data folder above the label file: the folder that resolves the most of the
  first rows' images is used;
- an LMDB folder (``data.mdb``) in the layout of the deep-text-recognition-benchmark and
  PaddleOCR: ``num-samples``, ``image-%09d`` (encoded image bytes) and ``label-%09d``, 1-based.

Reading never stops at a bad row or record: it is skipped with a reason, and :class:`SkipReport`
summarises what was skipped (with line or record numbers for the first few of each reason).
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocrlite.recognition.charset import Charset
from ocrlite.inputs.images import ImageLoadError, decode_gray, load_gray


_ENVS: dict[tuple[str, int], object] = {}  # (folder, pid) -> open environment: lmdb allows one per process


class LmdbSource:
    """An LMDB line set, opened read-only and lazily once per process.

    py-lmdb allows one open handle per environment and process, and a handle must not cross a
    fork: :func:`close_lmdb_envs` runs before DataLoader workers are forked, and each process
    opens its own handle on first use.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def env(self):
        import lmdb

        key = (str(Path(self.folder).resolve()), os.getpid())
        if key not in _ENVS:
            _ENVS[key] = lmdb.open(str(self.folder), readonly=True, lock=False, readahead=False, meminit=False,
                                   max_readers=64, subdir=True)
        return _ENVS[key]

    def get(self, key: bytes) -> bytes | None:
        with self.env().begin(buffers=False) as txn:
            return txn.get(key)


#: Reads every record of an LMDB environment, in a child process: LMDB has no checksums, and a
#: damaged file can crash the reader (SIGBUS on pages past the end, SIGSEGV on a bad page pointer),
#: which a child survives for us. Exit 0: every page read; anything else: damaged.
_WALK = """
import sys, lmdb
env = lmdb.open(sys.argv[1], readonly=True, lock=False, readahead=False, subdir=True, max_readers=4)
with env.begin(buffers=True) as txn:
    for key, value in txn.cursor():
        bytes(key[:1]); bytes(value[-1:]) if len(value) else None
"""
#: Seconds one walk may take per GB of data.mdb (plus a fixed start): a walk slower than that is refused too.
_WALK_SECONDS_PER_GB, _WALK_SECONDS = 60, 30
_CHECKED: dict[tuple[str, int, int], str | None] = {}


def lmdb_damage(folder: Path) -> str | None:
    """Why the LMDB environment in ``folder`` cannot be read safely, or None when it is whole.

    Checks, before any record is used: ``data.mdb`` holds every page its meta page names (a
    truncated copy does not), and every record reads back, walked in a child process (a crash
    there means damage, not the end of this process). Cached per file, size and mtime.
    """
    import subprocess
    import sys

    import lmdb

    data = folder / "data.mdb"
    try:
        st = data.stat()
    except OSError as err:
        return f"cannot read data.mdb ({err.strerror or err})"
    key = (str(data.resolve()), st.st_size, st.st_mtime_ns)
    if key in _CHECKED:
        return _CHECKED[key]
    reason: str | None = None
    try:
        env = lmdb.open(str(folder), readonly=True, lock=False, readahead=False, subdir=True, max_readers=4)
        try:
            needed = (env.info()["last_pgno"] + 1) * env.stat()["psize"]
        finally:
            env.close()
        if st.st_size < needed:
            reason = f"data.mdb is truncated ({st.st_size:,} bytes; its pages need {needed:,})"
    except lmdb.Error as err:
        reason = f"not a readable LMDB environment ({err})"
    if reason is None:
        limit = _WALK_SECONDS + _WALK_SECONDS_PER_GB * st.st_size / 1e9
        try:
            done = subprocess.run([sys.executable, "-c", _WALK, str(folder)], capture_output=True, timeout=limit)
            if done.returncode != 0:
                last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or [""])[-1][:200]
                reason = (f"damaged: reading its records crashed (signal {-done.returncode})" if done.returncode < 0
                          else f"damaged: {last or 'its records cannot be read'}")
        except subprocess.TimeoutExpired:
            reason = f"reading its records took over {limit:.0f} s"
    _CHECKED[key] = reason
    return reason


def labels_look_case_folded(texts: list[str], min_letters: int = 20) -> bool:
    """True when a set's labels hold at least ``min_letters`` letters and not one lower-case letter.

    Sets such as SROIE's are labelled in capitals whatever case the image shows; training on them
    as they are would teach a model to read "Total" as "TOTAL".
    """
    letters = sum(ch.isalpha() for text in texts for ch in text)
    return letters >= min_letters and not any(ch.islower() for text in texts for ch in text)


def close_lmdb_envs() -> None:
    """Close this process's LMDB handles (before forking workers; they reopen on next use)."""
    for (_, pid), env in list(_ENVS.items()):
        if pid == os.getpid():
            env.close()
    _ENVS.clear()


@dataclass
class LabeledLine:
    """One line image and its transcription.

    ``path`` is the image file, or for an LMDB set a name for messages (``DB/image-000000001``);
    :meth:`load` reads the image either way.
    """

    path: Path
    text: str
    source: LmdbSource | None = None
    key: bytes | None = None
    case_folded: bool = False  # the label was written in one case (upper) whatever the image shows

    def load(self) -> np.ndarray:
        """The image as ``(H, W)`` uint8 grayscale.

        Raises:
            ImageLoadError: unreadable file or record.
        """
        if self.source is None:
            return load_gray(self.path)
        try:
            data = self.source.get(self.key or b"")
        except Exception as err:  # noqa: BLE001 - lmdb.Error and its kin: this record, not the run
            raise ImageLoadError(self.path, f"cannot read the LMDB record ({type(err).__name__}: {err})") from None
        if data is None:
            raise ImageLoadError(self.path, "image record missing from the LMDB set")
        return decode_gray(data, str(self.path))


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


def is_lmdb_set(set_path: str | Path) -> bool:
    """True for an LMDB folder (holding ``data.mdb``) or the ``data.mdb`` file itself."""
    path = Path(set_path)
    return (path.is_dir() and (path / "data.mdb").is_file()) or (path.name == "data.mdb" and path.is_file())


def read_lmdb_set(set_path: str | Path, charset: Charset | None = None, check_images: bool = True
                  ) -> tuple[list[LabeledLine], SkipReport]:
    """Read an LMDB set (``num-samples``, ``image-%09d``, ``label-%09d``; records numbered from 1).

    Raises:
        LabelFileError: not an LMDB environment, no ``num-samples``, or no usable record.
    """
    folder = Path(set_path)
    folder = folder.parent if folder.name == "data.mdb" else folder
    source = LmdbSource(folder)
    try:
        import lmdb
    except ImportError:
        raise LabelFileError(f"{folder}: an LMDB set needs the lmdb package (pip install lmdb)") from None
    report = SkipReport(str(folder))
    lines: list[LabeledLine] = []
    damage = lmdb_damage(folder)
    if damage:
        raise LabelFileError(f"{folder}: {damage}; not read")
    try:
        with source.env().begin() as txn:
            raw = txn.get(b"num-samples")
            if raw is None:
                raise LabelFileError(f"{folder}: LMDB set without a num-samples record")
            try:
                count = int(raw.decode("ascii").strip())
            except (UnicodeDecodeError, ValueError):
                raise LabelFileError(f"{folder}: num-samples is not a number ({raw[:20]!r})") from None
            records = txn.stat()["entries"]
            if not 0 <= count <= records:  # a usable sample has at least its own records: more would loop on nothing
                raise LabelFileError(f"{folder}: num-samples says {count:,} but the file holds only {records:,} "
                                     f"records; not read")
            for index in range(1, count + 1):
                label_raw = txn.get(b"label-%09d" % index)
                if label_raw is None:
                    report.add("label record missing", index)
                    continue
                try:
                    label = label_raw.decode("utf-8")
                except UnicodeDecodeError:
                    report.add("not valid UTF-8", index)
                    continue
                if not label.strip():
                    report.add("empty label", index)
                    continue
                if "\t" in label or "\n" in label:
                    report.add("tab or newline in the label", index)
                    continue
                if charset is not None and charset.unknown(label):
                    report.add(f"characters outside the charset ({''.join(charset.unknown(label))[:20]!r})", index)
                    continue
                key = b"image-%09d" % index
                if check_images and txn.get(key) is None:
                    report.add("image record missing", index)
                    continue
                lines.append(LabeledLine(folder / key.decode(), label, source, key))
    except lmdb.Error as err:
        raise LabelFileError(f"{folder}: not a readable LMDB set ({err})") from None
    report.kept = len(lines)
    if not lines:
        raise LabelFileError(f"{folder}: no usable records\n{report.summary() or 'num-samples is 0'}")
    return lines, report


def _image_base(labels: Path, names: list[str]) -> Path:
    """The folder image paths are relative to: the label file's, or (PaddleOCR's data_dir) one above it."""
    candidates = [labels.parent, labels.parent.parent, labels.parent.parent.parent]
    sample = [n for n in names[:50] if n and not Path(n).is_absolute()]
    if not sample:
        return labels.parent
    hits = [sum((base / n).is_file() for n in sample) for base in candidates]
    return candidates[int(np.argmax(hits))] if max(hits) > hits[0] else labels.parent


#: A label file larger than this is refused before it is read (a line set of 10 M rows is ~1 GB).
MAX_LABEL_FILE_BYTES = 2 << 30
#: Env var: a folder that label-file image paths may also point into (besides the set's own folder).
DATA_ROOT_ENV = "OCRLITE_DATA_ROOT"


def _inside(path: Path, roots: list[Path]) -> bool:
    """Whether ``path`` lies inside one of ``roots`` *as written* (``..`` folded, links not followed).

    The label text cannot climb out of the set (``../x``, absolute paths), while a link the user placed
    inside the set — an ``images/`` folder on another disk — is followed as the user meant.
    """
    lexical = Path(os.path.normpath(os.path.abspath(path)))
    return any(lexical.is_relative_to(root) for root in roots)


def read_label_set(set_path: str | Path, charset: Charset | None = None, check_images: bool = True,
                   data_root: str | Path | None = None) -> tuple[list[LabeledLine], SkipReport]:
    """Read a labelled set.

    Args:
        set_path: folder holding ``labels.tsv``, the label file itself, or an LMDB folder (see module docstring).
        charset: when given, rows with characters outside it are skipped (training needs that).
        check_images: skip rows whose image file does not exist.
        data_root: a folder image paths may point into besides the set's own (default: ``$OCRLITE_DATA_ROOT``).
            Any other path — ``../..``, an absolute path elsewhere, a symlink out — is refused and counted.

    Raises:
        LabelFileError: no label file, unreadable, too large, or no usable row.
    """
    if is_lmdb_set(set_path):
        return read_lmdb_set(set_path, charset, check_images)
    labels = label_file_of(set_path)
    if not labels.is_file():
        raise LabelFileError(f"{labels}: label file not found (a set is a folder with labels.tsv, a .tsv/.txt "
                             f"label file, or an LMDB folder holding data.mdb)")
    try:
        size = labels.stat().st_size
        if size > MAX_LABEL_FILE_BYTES:
            raise LabelFileError(f"{labels}: label file is {size / 1e9:.1f} GB, over the "
                                 f"{MAX_LABEL_FILE_BYTES / 1e9:.1f} GB limit; split the set")
        raw = labels.read_bytes()
    except OSError as err:
        raise LabelFileError(f"{labels}: cannot read ({err.strerror})") from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # a UTF-16 file (Windows Notepad's "Unicode"): read it as such
        text = raw.decode("utf-16", errors="replace")
    else:
        text = raw.decode("utf-8-sig", errors="replace")
    report = SkipReport(str(labels))
    lines: list[LabeledLine] = []
    # Rows end at \n (and a \r before it); a CR, U+2028 or other separator inside a row belongs to its label.
    newline = "\n" if "\n" in text or "\r" not in text else "\r"  # a file of old-Mac CR-only rows
    rows = [r[:-1] if r.endswith("\r") else r for r in text.split(newline)]
    if rows and rows[-1] == "":
        rows.pop()
    base = _image_base(labels, [r.split("\t", 1)[0].strip() for r in rows if "\t" in r])
    root_arg = data_root if data_root is not None else os.environ.get(DATA_ROOT_ENV) or None
    roots = [Path(os.path.normpath(os.path.abspath(r))) for r in [base] + ([root_arg] if root_arg else [])]
    for no, row in enumerate(rows, start=1):
        if not row.strip():
            report.add("blank line", no)
            continue
        if "\t" not in row:
            report.add("no tab between path and text", no)
            continue
        name, label = row.split("\t", 1)
        if "\ufffd" in row:
            report.add("not valid UTF-8", no)
            continue
        if not label.strip():
            report.add("empty label", no)
            continue
        if charset is not None and charset.unknown(label):
            report.add(f"characters outside the charset ({''.join(charset.unknown(label))[:20]!r})", no)
            continue
        if "\x00" in name:
            report.add("NUL byte in the image path", no)
            continue
        path = Path(name.strip())
        path = path if path.is_absolute() else base / path
        if not _inside(path, roots):
            report.add(f"image path outside the set's folder {base} (pass --data-root to allow another)", no)
            continue
        if check_images and not path.is_file():
            report.add("image file missing", no)
            continue
        lines.append(LabeledLine(path, label))
    report.kept = len(lines)
    if not lines:
        detail = report.summary() or f"{labels}: file is empty"
        raise LabelFileError(f"{labels}: no usable rows\n{detail}")
    return lines, report
