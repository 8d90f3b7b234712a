"""Text sources for synthetic lines: words, receipt lines, numbers, codes, dates, and random strings.

Every sample is drawn from an explicit ``numpy.random.Generator``, so a line is a pure function
of the generator's state. Output is always restricted to the charset (characters outside it
are dropped; an empty result falls back to a random charset string).
"""

from __future__ import annotations

import string
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from ocrlite.charset import Charset

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "data"
CORPUS_DIR = DATA_DIR / "corpus"

Rng = np.random.Generator

CURRENCIES = ["$", "RM", "USD", "EUR", "GBP", "S$", "A$", "Rp", "Rs", "CHF", "SGD", "MYR", ""]
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
TLDS = ["com", "org", "net", "io", "co.uk", "com.my", "de", "fr", "edu", "gov", "info", "biz"]


@lru_cache(maxsize=8)
def load_words(path: str) -> tuple[str, ...]:
    """Non-empty lines of a word list / corpus file (UTF-8)."""
    return tuple(ln.strip() for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip())


def _pick(rng: Rng, seq: tuple[str, ...] | list[str]) -> str:
    return seq[int(rng.integers(len(seq)))]


def _digits(rng: Rng, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, n))


def _upper_alnum(rng: Rng, n: int) -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "".join(alphabet[i] for i in rng.integers(0, len(alphabet), n))


class TextSampler:
    """Draws mixed-source text lines restricted to a charset.

    Args:
        charset: characters the lines may use.
        corpus: word list or text corpus (one word or phrase per line); default ``data/corpus/words.txt``.
        terms: receipt vocabulary; default ``data/corpus/receipt_terms.txt``.
        max_length: longest line (characters).
    """

    def __init__(
        self,
        charset: Charset,
        corpus: str | Path | None = None,
        terms: str | Path | None = None,
        max_length: int = 96,
    ) -> None:
        self.charset = charset
        self.words = load_words(str(corpus or CORPUS_DIR / "words.txt"))
        self.terms = load_words(str(terms or CORPUS_DIR / "receipt_terms.txt"))
        self.max_length = max_length
        self.sources: list[tuple[float, Callable[[Rng], str]]] = [
            (0.26, self.phrase),
            (0.20, self.receipt_line),
            (0.08, self.number),
            (0.07, self.date_time),
            (0.08, self.code),
            (0.04, self.contact),
            (0.05, self.address),
            (0.10, self.random_chars),
            (0.06, self.short_token),
            (0.06, self.mixed_line),
        ]
        weights = np.array([w for w, _ in self.sources])
        self._weights = weights / weights.sum()

    # ---------------------------------------------------------------- public
    def sample(self, rng: Rng) -> str:
        """One line of text (1 … ``max_length`` characters, all in the charset)."""
        source = self.sources[int(rng.choice(len(self.sources), p=self._weights))][1]
        text = " ".join(source(rng).split(" "))  # keep single spaces as drawn
        text = "".join(c for c in text if c in self.charset).strip()
        if len(text) > self.max_length:
            text = text[: self.max_length].rstrip()
        return text or self.random_chars(rng)

    # ---------------------------------------------------------------- sources
    def _case(self, rng: Rng, text: str) -> str:
        r = rng.random()
        if r < 0.35:
            return text.upper()
        if r < 0.55:
            return text.title()
        if r < 0.65:
            return text.lower()
        return text

    def word(self, rng: Rng) -> str:
        return _pick(rng, self.words)

    def phrase(self, rng: Rng) -> str:
        n = int(rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10, 12]))
        words = [self.word(rng) for _ in range(n)]
        text = " ".join(words)
        if rng.random() < 0.3:
            text += _pick(rng, [".", ",", ":", ";", "!", "?", "...", ")", "\""])
        if rng.random() < 0.1:
            text = _pick(rng, ["(", "\"", "'", "- ", "* ", "# "]) + text
        return self._case(rng, text)

    def price(self, rng: Rng) -> str:
        value = float(np.exp(rng.uniform(-1, 8)))
        sep = "," if rng.random() < 0.15 else "."
        body = f"{value:,.2f}" if rng.random() < 0.3 else f"{value:.2f}"
        if sep == ",":
            body = body.replace(",", "_").replace(".", ",").replace("_", ".")
        cur = _pick(rng, CURRENCIES)
        if rng.random() < 0.1:
            body = "-" + body
        return (cur + ("" if rng.random() < 0.6 else " ") + body) if cur and rng.random() < 0.5 else body

    def number(self, rng: Rng) -> str:
        r = rng.random()
        if r < 0.4:
            return self.price(rng)
        if r < 0.55:
            return f"{rng.uniform(0, 100):.{int(rng.integers(0, 3))}f}%"
        if r < 0.75:
            return _digits(rng, int(rng.integers(1, 14)))
        if r < 0.88:
            return f"{int(rng.integers(1, 99))} x {self.price(rng)}"
        return f"{rng.normal(0, 1000):.{int(rng.integers(0, 4))}f}"

    def date_time(self, rng: Rng) -> str:
        y, m, d = int(rng.integers(1990, 2031)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
        hh, mm, ss = int(rng.integers(0, 24)), int(rng.integers(0, 60)), int(rng.integers(0, 60))
        dates = [f"{d:02d}/{m:02d}/{y}", f"{d:02d}-{m:02d}-{y}", f"{y}-{m:02d}-{d:02d}", f"{d:02d}.{m:02d}.{y % 100:02d}",
                 f"{d} {MONTHS[m - 1]} {y}", f"{MONTHS[m - 1].title()} {d}, {y}", f"{m}/{d}/{y % 100:02d}"]
        times = [f"{hh:02d}:{mm:02d}", f"{hh:02d}:{mm:02d}:{ss:02d}", f"{(hh % 12) or 12}:{mm:02d} {'AM' if hh < 12 else 'PM'}",
                 f"{hh:02d}{mm:02d}H"]
        r = rng.random()
        if r < 0.4:
            return _pick(rng, dates)
        if r < 0.6:
            return _pick(rng, times)
        label = _pick(rng, ["DATE", "Date", "TIME", "DATE/TIME", "Printed", ""])
        body = f"{_pick(rng, dates)} {_pick(rng, times)}"
        return f"{label}{_pick(rng, [': ', ':', ' '])}{body}" if label else body

    def code(self, rng: Rng) -> str:
        r = rng.random()
        prefix = _pick(rng, ["INV", "No", "NO", "REF", "SN", "S/N", "PO", "DO", "CS", "OR", "TXN", "ID", "#", "BILL", "TD"])
        body = _pick(rng, [
            _upper_alnum(rng, int(rng.integers(4, 14))),
            _digits(rng, int(rng.integers(4, 13))),
            f"{_upper_alnum(rng, 3)}-{_digits(rng, 4)}-{_upper_alnum(rng, 2)}",
            f"{y}/{_digits(rng, 5)}" if (y := int(rng.integers(2000, 2031))) else "",
            f"{_digits(rng, 3)}.{_digits(rng, 3)}.{_digits(rng, 3)}-{_digits(rng, 2)}",
        ])
        if r < 0.5:
            return f"{prefix}{_pick(rng, [': ', ':', ' ', '-', '. ', ' : ', ''])}{body}"
        if r < 0.6:
            return body.lower()
        return body

    def contact(self, rng: Rng) -> str:
        w1, w2 = self.word(rng).lower(), self.word(rng).lower()
        w1, w2 = "".join(c for c in w1 if c.isalnum()) or "info", "".join(c for c in w2 if c.isalnum()) or "mail"
        r = rng.random()
        if r < 0.3:
            return f"{w1}{_pick(rng, ['.', '_', '', '-'])}{_digits(rng, int(rng.integers(0, 3)))}@{w2}.{_pick(rng, TLDS)}"
        if r < 0.55:
            return f"{_pick(rng, ['https://', 'http://', 'www.', ''])}{w1}.{_pick(rng, TLDS)}" + (
                f"/{w2}?id={_digits(rng, 4)}" if rng.random() < 0.4 else "")
        if r < 0.75:
            sep = _pick(rng, ["/", "\\"])
            root = _pick(rng, ["C:\\", "/home/", "/usr/", "~/", "./", "D:\\"])
            return root + sep.join([w1, w2, f"{self.word(rng).lower()}.{_pick(rng, ['txt', 'pdf', 'csv', 'py', 'jpg'])}"])
        label = _pick(rng, ["TEL", "Tel", "FAX", "Phone", "HP", "Mobile", ""])
        num = _pick(rng, [f"+{_digits(rng, 2)} {_digits(rng, 2)} {_digits(rng, 4)} {_digits(rng, 4)}",
                          f"({_digits(rng, 3)}) {_digits(rng, 3)}-{_digits(rng, 4)}",
                          f"0{_digits(rng, 2)}-{_digits(rng, 7)}", f"{_digits(rng, 3)}-{_digits(rng, 3)} {_digits(rng, 4)}"])
        return f"{label}{_pick(rng, [': ', ':', ' ', '. '])}{num}" if label else num

    def address(self, rng: Rng) -> str:
        street = self._case(rng, " ".join(self.word(rng) for _ in range(int(rng.integers(1, 3)))))
        kind = _pick(rng, ["JALAN", "Street", "ST", "Road", "RD", "Avenue", "AVE", "Lane", "Blvd", "Lorong", "Taman"])
        parts = [f"{_pick(rng, ['NO. ', 'No ', 'LOT ', '', ''])}{int(rng.integers(1, 999))}{_pick(rng, ['', '', 'A', '-B'])}",
                 f"{kind} {street}" if rng.random() < 0.5 else f"{street} {kind}",
                 f"{_digits(rng, 5)} {self._case(rng, self.word(rng))}"]
        n = int(rng.integers(1, 4))
        return _pick(rng, [", ", ",", " "]).join(parts[:n])

    def receipt_line(self, rng: Rng) -> str:
        r = rng.random()
        term = _pick(rng, self.terms)
        if r < 0.35:  # label and amount, e.g. "TOTAL: RM 12.30"
            gap = " " * int(rng.choice([1, 1, 2, 3, 6]))
            return self._case(rng, term) + _pick(rng, [":", " :", "", ""]) + gap + self.price(rng)
        if r < 0.65:  # item line: name, qty, unit price, amount
            name = " ".join(_pick(rng, self.terms) if rng.random() < 0.5 else self.word(rng)
                            for _ in range(int(rng.integers(1, 4))))
            qty = int(rng.integers(1, 20))
            fields = [name.upper() if rng.random() < 0.6 else name]
            if rng.random() < 0.6:
                fields.append(f"{qty}{_pick(rng, [' x', 'x', ' @', ' PCS', ''])}")
            fields.append(self.price(rng))
            if rng.random() < 0.5:
                fields.append(self.price(rng))
            if rng.random() < 0.2:
                fields.append(_pick(rng, ["SR", "ZR", "T", "S", "Z", "*"]))
            return (" " * int(rng.choice([1, 2, 3]))).join(fields)
        if r < 0.8:
            return self._case(rng, term)
        if r < 0.9:
            return f"{self._case(rng, term)}{_pick(rng, [': ', ':', ' '])}{self.code(rng)}"
        return self._case(rng, term) + " " + f"{rng.uniform(0, 30):.0f}%" + " " + self.price(rng)

    def random_chars(self, rng: Rng) -> str:
        """A uniform random string over the whole charset: teaches rare punctuation."""
        n = int(rng.integers(1, 24))
        chars = self.charset.chars
        text = "".join(chars[i] for i in rng.integers(0, len(chars), n))
        return text.strip() or chars[int(rng.integers(len(chars)))].strip() or "x"

    def short_token(self, rng: Rng) -> str:
        r = rng.random()
        if r < 0.3:
            return _pick(rng, self.terms)
        if r < 0.6:
            return self.word(rng).upper()
        if r < 0.8:
            return _digits(rng, int(rng.integers(1, 5)))
        return _pick(rng, list(string.punctuation)) * int(rng.integers(1, 4))

    def mixed_line(self, rng: Rng) -> str:
        """A long line joining several sources, up to ``max_length`` characters."""
        parts = []
        for _ in range(int(rng.integers(2, 7))):
            src = self.sources[int(rng.choice(len(self.sources) - 1, p=None))][1]
            parts.append(src(rng))
        return _pick(rng, [" ", "  ", " | ", ", ", " - "]).join(parts)
