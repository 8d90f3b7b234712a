"""The character set: class ``i + 1`` ↔ ``chars[i]``; class 0 is the CTC blank.

Pure Python (no torch), so it is cheap to import from the CLI and the data generator.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from pathlib import Path

#: The 95 printable ASCII characters, space first (code points 32–126).
PRINTABLE_ASCII = "".join(chr(c) for c in range(32, 127))

#: Charset v2, block by block, with the reason each block is in. Order = class order (ASCII first, so
#: an ASCII model's rows are the first 95 of a v2 model's). Nothing here is specific to one data set.
CHARSET_V2_BLOCKS: tuple[tuple[str, str, str], ...] = (
    ("ascii", PRINTABLE_ASCII,
     "printable ASCII: English, code, receipts, typewriters; what every older ocrlite model reads"),
    ("latin1", "".join(chr(c) for c in range(0xA1, 0x100) if c != 0xAD),
     "Latin-1 Supplement U+00A1–U+00FF: the accented letters of French, German, Spanish, Italian, Portuguese, "
     "Dutch and the Nordic languages, ¿ ¡ « » ß, and the document signs ° ± × ÷ § ¶ µ · ¢ £ ¥ © ® ½ ¼ ¾ ² ³ º ª "
     "(NBSP reads as a space and the soft hyphen is never printed, so neither is a class)"),
    ("cp1252", "ŒœŠšŽžŸ",
     "the letters Windows-1252 adds to Latin-1: French œ Œ Ÿ, loanwords and names with š ž"),
    ("quotes", "“”‘’‚„‹›",
     "typographic quotes and apostrophes: English “ ” ‘ ’, German „ “ ‚ ‘, French ‹ › beside Latin-1's « »"),
    ("dashes", "–—…",
     "en dash (ranges, parentheses), em dash (dialogue, breaks), ellipsis: the commonest typeset punctuation"),
    ("signs", "•€™‰′″№†‡",
     "bullet, euro, trade mark, per mille, prime and double prime (feet, inches, minutes), numero sign, "
     "daggers of footnotes: signs of documents and receipts that Latin-1 lacks"),
)
#: Charset v2: 216 characters (``ocrlite train`` and ``ocrlite synth`` use it by default).
CHARSET_V2 = "".join(chars for _, chars, _ in CHARSET_V2_BLOCKS)

#: Characters that print as a charset character and are labelled as it (applied by :func:`normalize_text`):
#: spaces of other widths are a space; hyphens that look like '-' are '-'; the soft hyphen is invisible.
_LOOK_ALIKES = {
    "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u202f": " ", "\u2002": " ", "\u2003": " ", "\u205f": " ",
    "\u2010": "-", "\u2011": "-", "\u2012": "–", "\u2212": "-", "\u2015": "—", "\u00ad": "",
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st",
    "\u201b": "‘", "\u201f": "“", "\u2032": "′", "\u02bc": "’", "\u2024": ".", "\u2219": "·", "\u2022": "•",
}
_LOOK_ALIKE_TABLE = str.maketrans(_LOOK_ALIKES)


def normalize_text(text: str) -> str:
    """NFC, with look-alike spaces, hyphens and ligatures mapped to their charset-v2 form (see ``_LOOK_ALIKES``).

    >>> normalize_text("ﬁn\u00a0de\u2011ligne")
    'fin de-ligne'
    """
    return unicodedata.normalize("NFC", text).translate(_LOOK_ALIKE_TABLE)


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
        """Charset v2 (:data:`CHARSET_V2`): what new models are trained on."""
        return cls(CHARSET_V2)

    @classmethod
    def ascii(cls) -> Charset:
        """The 95 printable ASCII characters: the charset of models trained before charset v2."""
        return cls(PRINTABLE_ASCII)

    @classmethod
    def from_file(cls, path: str | Path) -> Charset:
        """Read a charset file: one character per line, or all characters on a single line.

        A line holding a single space is the space character; empty lines are ignored.
        """
        from ocrlite.utils.limits import MAX_CHARSET_FILE_BYTES, read_text_capped

        path = Path(path)
        try:
            text = read_text_capped(path, "charset file", MAX_CHARSET_FILE_BYTES, encoding="utf-8-sig")
        except (OSError, ValueError) as err:
            raise CharsetError(str(err)) from None
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
