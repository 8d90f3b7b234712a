"""Text sources for synthetic lines: real prose, document furniture, receipts, numbers, codes, dates,
European-language text and signs (:mod:`ocrlite.synth.european`), and random strings — mixed by the
weights of :data:`SOURCE_WEIGHTS` (generator v3).

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

from ocrlite.recognition.charset import Charset, normalize_text
from ocrlite.utils.limits import read_text_capped
from ocrlite.utils.resources import CORPUS_DIR  # ocrlite/data/corpus, or $OCRLITE_CORPUS_DIR
from ocrlite.synth import documents, european
from ocrlite.synth.prose import load_prose, prose_line
from ocrlite.synth.rare import RareCharLines, load_target_weights
from ocrlite.synth.typeset import typeset

LANG_DIR = CORPUS_DIR / "lang"
#: Words and names holding the letters of charset v2 that no shipped language text holds (one per line, ``#``
#: comments): without them the ``rare_chars`` source could only set those letters alone between words.
RARE_LETTER_WORDS = CORPUS_DIR / "rare_letter_words.txt"
#: How much more often the ``rare_chars`` source draws each character the shipped default still misreads
#: (``char<TAB>…<TAB>weight``; built by ``scripts/data/rare_target_weights.py``; absent: uniform).
RARE_TARGET_WEIGHTS = CORPUS_DIR / "rare_target_weights.tsv"
#: Sources that draw on the European-language texts.
EUROPEAN_SOURCES = frozenset({"eu_prose", "eu_names", "locale_amount", "signs", "smallcap_heading", "eu_phrase",
                              "rare_chars"})

Rng = np.random.Generator

#: The text mix (generator v3): source -> share of lines, and why it has that share. English documents
#: and books are most of what a general printed-text reader sees and receipts are the project's first
#: use, so together they keep three quarters of the lines (generator v2's shares × 0.76: the English print
#: the default reads today must not get worse); the quarter that is new brings the six European
#: languages, their money and dates, typeset signs and small-capital headings. Random strings keep every
#: one of charset v2's characters in play without a language prior.
_V3_WEIGHTS: dict[str, tuple[float, str]] = {
    "prose": (0.197, "English running text of books and documents, consecutive words: the commonest printed line; "
              "half of it typeset (curly quotes, dashes, ellipsis)"),
    "heading": (0.03, "section titles and numbers, title case and capitals"),
    "list_item": (0.03, "numbered and bulleted items"),
    "citation": (0.023, "reference lists: initials, years, page ranges, dense punctuation"),
    "caption": (0.023, "figure and table captions"),
    "table_row": (0.03, "numeric table columns of reports and invoices"),
    "footnote": (0.023, "footnotes, running heads, page numbers"),
    "equation": (0.023, "equations written as text, quantities with units"),
    "receipt_line": (0.13, "receipt items and totals, dotted leaders: the project's first use (SROIE); 0.14 "
                     "lost 0.5 points on real receipts in the generator-v2 A/B, so it keeps the most after prose"),
    "number": (0.038, "prices, percentages, quantities"),
    "date_time": (0.03, "dates and times in many formats"),
    "code": (0.03, "invoice, serial and reference codes"),
    "contact": (0.023, "e-mail addresses, URLs, file paths, phone numbers"),
    "address": (0.023, "street addresses"),
    "phrase": (0.023, "dictionary words: rare words and names prose does not reach"),
    "random_chars": (0.046, "uniform over the charset: rare punctuation and accents, no language prior"),
    "short_token": (0.023, "single words, tokens and punctuation runs"),
    "mixed_line": (0.015, "long lines joining several sources"),
    "eu_prose": (0.10, "running text in French, German, Spanish, Italian, Portuguese and Dutch, two thirds typeset "
                 "in the language's quotes: the accents and words of real European documents (the largest new share)"),
    "eu_names": (0.025, "people, streets, postcodes and cities, companies, jobs per locale (Faker): forms, letters, "
                 "invoices, the capitals and accents of proper names"),
    "locale_amount": (0.03, "invoice and receipt lines in each locale's money, percent and date formats (Babel): "
                      "'1.234,56 €', '1 234,56 €', '€ 1.234,56', 'MwSt. 19 %'"),
    "signs": (0.03, "° ± × ½ § © ™ Nº ‰ ′ ″ † • in context: rare in prose, common in documents and receipts"),
    "smallcap_heading": (0.03, "headings, author lines and names that print in small or full capitals (labelled "
                         "in capitals, as document ground truth is): a quarter of the errors on real journal scans"),
    "eu_phrase": (0.025, "frequent words of the six languages: words and accents prose windows miss"),
}
#: Generator v4 adds ``rare_chars`` beside generator v3's mix at 0.12 : 1 (10.7 % of lines; every other source
#: keeps its v3 proportions, × 0.893). In v3's mix ``e`` is drawn ~490× as often as ``ê`` and ~790× as often as
#: ``Ë``, the rarest characters 2 times per 1,000 lines (``python scripts/bench/char_frequency.py --without
#: rare_chars``): the v3 default read ``Ë`` as ``É`` and ``ï`` as ``i`` nearly always on unseen faces (issue 39).
#: With it ``ê`` is drawn 2.5×, ``ï`` and ``Ë`` ~3× as often (the rarest 3.4 per 1,000 lines), and it is a tenth
#: of the lines, so English and receipts keep the bulk.
RARE_CHARS_SHARE = 0.12
SOURCE_WEIGHTS: dict[str, tuple[float, str]] = {
    **{name: (w / (1 + RARE_CHARS_SHARE), why) for name, (w, why) in _V3_WEIGHTS.items()},
    "rare_chars": (RARE_CHARS_SHARE / (1 + RARE_CHARS_SHARE),
                   "every character outside a-z, 0-9 and common punctuation drawn uniformly, in real words beside "
                   "its look-alike siblings (ê by é è e) and in the contexts signs are printed in: the rest of the "
                   "mix draws e ~500x as often as ê, and the v3 default wrote 'hötel' (issue 39)"),
}
#: Sources whose lines print in small capitals often (SMALL_CAPS_P) — other lines rarely (RenderConfig.small_caps_p).
SMALL_CAPS_SOURCES = frozenset({"smallcap_heading"})
SMALL_CAPS_P = 0.55
#: Sources typeset as printed (curly quotes, dashes) with TYPESET_P; receipts, codes and forms keep straight forms.
TYPESET_SOURCES = frozenset({"prose", "caption", "footnote", "citation", "list_item", "heading"})
TYPESET_P = 0.5

CURRENCIES = ["$", "RM", "USD", "EUR", "GBP", "S$", "A$", "Rp", "Rs", "CHF", "SGD", "MYR", ""]
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
TLDS = ["com", "org", "net", "io", "co.uk", "com.my", "de", "fr", "edu", "gov", "info", "biz"]


@lru_cache(maxsize=8)
def load_words(path: str) -> tuple[str, ...]:
    """Non-empty lines of a word list / corpus file (UTF-8).

    Raises:
        FileNotFoundError: no such file; ValueError: not UTF-8 text or not readable.
    """
    text = read_text_capped(path, "word list")
    return tuple(ln.strip() for ln in text.splitlines() if ln.strip())


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
        corpus: word list or text corpus (one word or phrase per line); default ``ocrlite/data/corpus/words.txt``.
        terms: receipt vocabulary; default ``ocrlite/data/corpus/receipt_terms.txt``.
        max_length: longest line (characters).
        prose: running text, one paragraph per line (``tag<TAB>text``); default ``ocrlite/data/corpus/prose.txt``.
        weights: source -> weight, overriding :data:`SOURCE_WEIGHTS` (a source left out keeps its weight).
        languages: folder of European-language texts (``LANG.prose.txt``, ``LANG.names.txt``, ``LANG.words.txt``);
            default ``ocrlite/data/corpus/lang``. Only read when a European source has weight.
        typeset_p: chance that running text and furniture are typeset as printed (default :data:`TYPESET_P`).
    """

    def __init__(
        self,
        charset: Charset,
        corpus: str | Path | None = None,
        terms: str | Path | None = None,
        max_length: int = 96,
        prose: str | Path | None = None,
        weights: dict[str, float] | None = None,
        languages: str | Path | None = None,
        typeset_p: float | None = None,
    ) -> None:
        self.charset = charset
        if not charset.chars.strip():
            raise ValueError("the charset has no printable character besides space; nothing can be drawn")
        self.words = load_words(str(corpus or CORPUS_DIR / "words.txt"))
        self.terms = load_words(str(terms or CORPUS_DIR / "receipt_terms.txt"))
        for name, found in ((corpus or CORPUS_DIR / "words.txt", self.words), (terms or CORPUS_DIR / "receipt_terms.txt", self.terms)):
            if not found:
                raise ValueError(f"{name}: holds no words (one word or phrase per line, UTF-8)")
        self.prose_corpus = load_prose(str(prose or CORPUS_DIR / "prose.txt"))
        self.surnames = tuple(w for w in self.words if w[:1].isupper() and w[1:].islower() and w.isalpha()) or ("Smith",)
        self.max_length = max_length
        self.typeset_p = TYPESET_P if typeset_p is None else typeset_p
        self._rare: RareCharLines | None = None
        table = {name: w for name, (w, _) in SOURCE_WEIGHTS.items()}
        unknown = sorted(set(weights or {}) - set(table))
        if unknown:
            raise ValueError(f"unknown text source(s) {unknown}; valid: {sorted(table)}")
        table.update(weights or {})
        self.languages: tuple[european.LanguageTexts, ...] = ()
        if any(w > 0 for name, w in table.items() if name in EUROPEAN_SOURCES):
            self.languages = european.load_languages(str(languages or LANG_DIR))
        self.sources: list[tuple[float, Callable[[Rng], str]]] = [
            (w, getattr(self, name)) for name, w in table.items() if w > 0
        ]
        if not self.sources:
            raise ValueError("every text source has weight 0")
        raw = np.array([w for w, _ in self.sources], dtype=np.float64)
        self._weights = raw / raw.sum()

    # ---------------------------------------------------------------- public
    def sample(self, rng: Rng) -> str:
        """One line of text (1 … ``max_length`` characters, all in the charset)."""
        return self.sample_with_source(rng)[0]

    def sample_with_source(self, rng: Rng) -> tuple[str, str]:
        """One line of text and the name of the source (a :data:`SOURCE_WEIGHTS` key) it came from."""
        source = self.sources[int(rng.choice(len(self.sources), p=self._weights))][1]
        text = source(rng)
        if source.__name__ in TYPESET_SOURCES and rng.random() < self.typeset_p:
            text = typeset(text, rng, "en")
        text = " ".join(normalize_text(text).split(" "))  # keep single spaces as drawn
        text = "".join(c for c in text if c in self.charset).strip()
        if len(text) > self.max_length:
            text = text[: self.max_length].rstrip()
        return (text, source.__name__) if text else (self.random_chars(rng), "random_chars")

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

    def prose(self, rng: Rng) -> str:
        """Consecutive words of real text, 1 to ``max_length`` characters (mostly 20-80)."""
        budget = int(np.clip(rng.normal(55, 22), 4, self.max_length))
        return prose_line(self.prose_corpus, rng, budget)

    def _furniture(self, fn: Callable, rng: Rng) -> str:
        return fn(self.prose_corpus, rng, self.surnames)

    def heading(self, rng: Rng) -> str:
        return self._furniture(documents.heading, rng)

    def list_item(self, rng: Rng) -> str:
        return self._furniture(documents.list_item, rng)

    def citation(self, rng: Rng) -> str:
        return self._furniture(documents.citation, rng)

    def caption(self, rng: Rng) -> str:
        return self._furniture(documents.caption, rng)

    def table_row(self, rng: Rng) -> str:
        return self._furniture(documents.table_row, rng)

    def footnote(self, rng: Rng) -> str:
        return self._furniture(documents.footnote, rng)

    def equation(self, rng: Rng) -> str:
        return self._furniture(documents.equation, rng)

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
        if r < 0.35:  # label and amount, e.g. "TOTAL: RM 12.30", "TOTAL AMT........ RM 12.30"
            if rng.random() < 0.15:
                leader = _pick(rng, [".", ".", "-", "_", "*"]) * int(rng.integers(3, 24))
                return self._case(rng, term) + _pick(rng, ["", " "]) + leader + _pick(rng, ["", " "]) + self.price(rng)
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

    # ------------------------------------------------------ European (v3)
    def eu_prose(self, rng: Rng) -> str:
        return european.eu_prose(rng, self.languages, self.max_length)

    def eu_names(self, rng: Rng) -> str:
        return european.eu_names(rng, self.languages)

    def locale_amount(self, rng: Rng) -> str:
        return european.locale_amount(rng, self.languages)

    def signs(self, rng: Rng) -> str:
        return european.signs(rng, self.languages)

    def smallcap_heading(self, rng: Rng) -> str:
        return european.smallcap_heading(rng, self.languages, self.surnames)

    def eu_phrase(self, rng: Rng) -> str:
        return european.eu_phrase(rng, self.languages)

    def rare_chars(self, rng: Rng) -> str:
        """Rare characters in real words and printed contexts (:mod:`ocrlite.synth.rare`)."""
        if self._rare is None:
            weights = load_target_weights(RARE_TARGET_WEIGHTS) if RARE_TARGET_WEIGHTS.is_file() else None
            self._rare = RareCharLines(self.charset.chars, self._rare_vocabulary(), weights)
        return self._rare.line(rng, min(self.max_length, 72))

    def _rare_vocabulary(self) -> list[str]:
        """Every word the sampler knows: English and European word lists, names, the prose of each language, and
        :data:`RARE_LETTER_WORDS` (words for the charset letters none of those texts holds: å, æ, ð, þ, š, ž …)."""
        vocabulary = set(self.words)
        if RARE_LETTER_WORDS.is_file():
            vocabulary.update(w for w in load_words(str(RARE_LETTER_WORDS)) if not w.startswith("#"))
        for texts in self.languages:
            vocabulary.update(texts.words)
            for values in texts.names.values():
                for value in values:
                    vocabulary.update(value.split())
            if texts.prose is not None:
                for paragraphs in texts.prose.paragraphs.values():
                    for words in paragraphs:
                        vocabulary.update(words)
        return sorted(vocabulary)

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
        others = [fn for _, fn in self.sources if fn != self.mixed_line]
        for _ in range(int(rng.integers(2, 7))):
            parts.append(others[int(rng.integers(len(others)))](rng) if others else self.random_chars(rng))
        return _pick(rng, [" ", "  ", " | ", ", ", " - "]).join(parts)
