"""The character set: class ``i + 1`` ↔ ``chars[i]``; class 0 is the CTC blank.

Pure Python (no torch), so it is cheap to import from the CLI and the data generator.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

#: The 95 printable ASCII characters, space first (code points 32–126).
PRINTABLE_ASCII = "".join(chr(c) for c in range(32, 127))


class CharsetError(ValueError):
    """A charset that cannot be used (empty, duplicates, control characters)."""


class Charset:
    """An ordered set of characters for CTC; blank = 0.

    Args:
        chars: the characters in class order. Must be non-empty, without duplicates, tabs or newlines.

    Example:
        >>> cs = Charset("ab-]")
        >>> cs.encode("a]")
        [1, 4]
        >>> cs.decode([1, 4])
        'a]'
    """

    blank = 0

    def __init__(self, chars: str) -> None:
        if not chars:
            raise CharsetError("charset is empty")
        seen: set[str] = set()
        dupes = sorted({c for c in chars if c in seen or seen.add(c)})  # type: ignore[func-returns-value]
        if dupes:
            raise CharsetError(f"charset has duplicate characters: {''.join(dupes)!r}")
        bad = sorted({c for c in chars if c in "\t\n\r\x0b\x0c" or not c.isprintable() and c != " "})
        if bad:
            raise CharsetError(f"charset has control characters {bad!r}; labels are tab-separated lines")
        self.chars = chars
        self._index = {c: i + 1 for i, c in enumerate(chars)}

    @classmethod
    def default(cls) -> Charset:
        """The 95 printable ASCII characters."""
        return cls(PRINTABLE_ASCII)

    @classmethod
    def from_file(cls, path: str | Path) -> Charset:
        """Read a charset file: one character per line, or all characters on a single line.

        A line holding a single space is the space character; empty lines are ignored.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise CharsetError(f"{path}: cannot read charset file ({err})") from None
        lines = [ln for ln in text.split("\n") if ln.rstrip("\r") != ""]
        lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
        if len(lines) == 1:
            chars = lines[0]
        else:
            long = [i + 1 for i, ln in enumerate(lines) if len(ln) != 1]
            if long:
                raise CharsetError(
                    f"{path}: with several lines, each must hold exactly one character (lines {long[:5]} do not)"
                )
            chars = "".join(lines)
        try:
            return cls(chars)
        except CharsetError as err:
            raise CharsetError(f"{path}: {err}") from None

    def __len__(self) -> int:
        return len(self.chars)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Charset) and other.chars == self.chars

    def __repr__(self) -> str:
        return f"Charset({len(self)} chars)"

    def __contains__(self, char: str) -> bool:
        return char in self._index

    @property
    def num_classes(self) -> int:
        """Logit count K = len(chars) + 1 (blank)."""
        return len(self.chars) + 1

    def unknown(self, text: str) -> list[str]:
        """Characters of ``text`` that are not in the charset (sorted, unique)."""
        return sorted({c for c in text if c not in self._index})

    def encode(self, text: str) -> list[int]:
        """Class ids of ``text``.

        Raises:
            CharsetError: ``text`` has characters outside the charset (they are listed).
        """
        try:
            return [self._index[c] for c in text]
        except KeyError:
            raise CharsetError(f"text {text!r} has characters outside the charset: {self.unknown(text)!r}") from None

    def encode_batch(self, texts: Iterable[str]) -> tuple[list[int], list[int]]:
        """Concatenated targets and per-text lengths, the layout ``torch.nn.CTCLoss`` takes."""
        targets: list[int] = []
        lengths: list[int] = []
        for t in texts:
            ids = self.encode(t)
            targets.extend(ids)
            lengths.append(len(ids))
        return targets, lengths

    def decode(self, ids: Iterable[int]) -> str:
        """Class ids (blank-free, already collapsed) → text."""
        return "".join(self.chars[i - 1] for i in ids)
