"""Expand command-line PATH arguments into an ordered list of image paths.

A PATH is an image file, a directory (its image files, sorted by name, not recursive), or a
``.txt`` / ``.tsv`` list whose first tab-separated column is an image path (relative paths
are resolved against the list file's folder, as in ``labels.tsv``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ocrlite.inputs.images import is_image_path

LIST_EXTENSIONS = frozenset({".txt", ".tsv"})


@dataclass
class InputItem:
    """One input: ``path`` as the user will see it, or an ``error`` when the PATH itself is unusable."""

    path: str
    error: str | None = None


def expand_inputs(args: list[str]) -> list[InputItem]:
    """Expand PATH arguments (see module docstring) in order; never raises for a bad PATH."""
    items: list[InputItem] = []
    for arg in args:
        path = Path(arg)
        try:
            if path.is_dir() and not is_image_path(path):
                files = sorted(p for p in path.iterdir() if p.is_file() and is_image_path(p))
                if not files:
                    items.append(InputItem(arg, "directory holds no image files"))
                items.extend(InputItem(str(p)) for p in files)
            elif path.suffix.lower() in LIST_EXTENSIONS and path.is_file():
                items.extend(_read_list(path))
            else:
                items.append(InputItem(arg))  # image (or missing/bad file: reported when loaded)
        except OSError as err:  # unreadable folder, name too long, ...
            items.append(InputItem(arg, f"cannot read ({err.strerror or err})"))
    return items


def _read_list(path: Path) -> list[InputItem]:
    try:
        text = path.read_text(encoding="utf-8-sig", errors="surrogateescape")
    except OSError as err:
        return [InputItem(str(path), f"cannot read list file ({err.strerror})")]
    items = []
    for line in text.splitlines():
        first = line.split("\t", 1)[0].strip()
        if not first or first.startswith("#"):  # blank lines and # comments
            continue
        p = Path(first)
        items.append(InputItem(str(p if p.is_absolute() else path.parent / p)))
    if not items:
        items.append(InputItem(str(path), "list file names no images"))
    return items
