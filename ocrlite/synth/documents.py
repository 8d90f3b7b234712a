"""The furniture of printed documents: headings, list items, citations, captions, table rows,
footnotes, running heads, equations and units.

Every function takes the prose corpus (for real words), a ``numpy.random.Generator`` and a
``surnames`` list, and returns one line of text. They are plain functions so the text sampler
can list them in its source table.
"""

from __future__ import annotations

import string

import numpy as np

from ocrlite.synth.prose import ProseCorpus, word_window

Rng = np.random.Generator

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIV", "XX"]
SECTION_WORDS = ["Introduction", "Abstract", "Background", "Related Work", "Methods", "Method", "Results",
                 "Discussion", "Conclusion", "Conclusions", "Acknowledgements", "References", "Appendix",
                 "Experiments", "Evaluation", "Summary", "Preface", "Contents", "Index", "Notes", "Bibliography",
                 "Materials and Methods", "Data", "Analysis", "Future Work", "Limitations", "Overview"]
VENUES = ["Proc.", "In Proc.", "J.", "Trans.", "IEEE Trans.", "ACM", "Journal of", "Annals of", "Review of",
          "Proceedings of the", "Int. Conf. on", "Workshop on", "Letters", "Bulletin of the"]
UNITS = ["mm", "cm", "m", "km", "kg", "g", "mg", "s", "ms", "min", "h", "Hz", "kHz", "MHz", "GHz", "V", "mV",
         "A", "mA", "W", "kW", "J", "N", "Pa", "kPa", "MPa", "K", "C", "%", "dB", "nm", "um", "mol", "L", "mL",
         "MB", "GB", "TB", "km/h", "m/s", "m/s^2", "kg/m^3", "ppm", "bar", "psi", "ft", "in", "lb", "oz"]
GREEK_NAMES = ["alpha", "beta", "gamma", "delta", "lambda", "sigma", "theta", "mu", "pi", "phi", "omega", "eps"]
BULLETS = ["*", "-", "o", "+", ">", "->", "--"]


def _title(words: list[str]) -> str:
    small = {"a", "an", "the", "of", "and", "or", "in", "on", "for", "to", "at", "by", "with"}
    return " ".join(w if (i and w.lower() in small) else w[:1].upper() + w[1:] for i, w in enumerate(words))


def _strip(words: list[str]) -> list[str]:
    return [w.strip(".,;:!?\"'()[]") for w in words if w.strip(".,;:!?\"'()[]")]


def _words(corpus: ProseCorpus, rng: Rng, max_chars: int) -> list[str]:
    return word_window(corpus.words_of(rng), rng, max_chars)


def _bare_words(corpus: ProseCorpus, rng: Rng, max_chars: int, fallback: str) -> list[str]:
    """A word window without surrounding punctuation; ``[fallback]`` where nothing is left (a window of
    bare punctuation would otherwise give an empty title, cell or running head)."""
    return _strip(_words(corpus, rng, max_chars)) or [fallback]


def _section_number(rng: Rng) -> str:
    depth = int(rng.choice([1, 2, 2, 3]))
    return ".".join(str(int(rng.integers(1, 13))) for _ in range(depth))


def _name(rng: Rng, surnames: tuple[str, ...]) -> str:
    surname = surnames[int(rng.integers(len(surnames)))]
    initials = "".join(f"{c}. " for c in rng.choice(list(string.ascii_uppercase), int(rng.integers(1, 3))))
    return f"{initials}{surname}" if rng.random() < 0.8 else f"{surname}, {initials.strip()}"


def heading(corpus: ProseCorpus, rng: Rng, surnames: tuple[str, ...]) -> str:
    """Section titles: "3.2 Results", "CHAPTER IV", "Appendix B. Proofs", "2 Related Work"."""
    r = rng.random()
    topic = _title(_bare_words(corpus, rng, int(rng.integers(8, 48)), "Results"))
    fixed = SECTION_WORDS[int(rng.integers(len(SECTION_WORDS)))]
    if r < 0.3:
        return f"{_section_number(rng)}{rng.choice(['', '.'])} {topic if rng.random() < 0.6 else fixed}"
    if r < 0.45:
        word = str(rng.choice(["Chapter", "CHAPTER", "Part", "PART", "Section", "Lecture", "Book"]))
        number = ROMAN[int(rng.integers(len(ROMAN)))] if rng.random() < 0.5 else str(int(rng.integers(1, 30)))
        return f"{word} {number}" + (f"{rng.choice([': ', '. ', ' - '])}{topic}" if rng.random() < 0.5 else "")
    if r < 0.55:
        return f"Appendix {rng.choice(list('ABCDEF'))}{rng.choice(['. ', ': ', ' '])}{topic}"
    if r < 0.62:  # a table-of-contents entry: "3.2 Results ........ 14"
        leader = "." * int(rng.integers(3, 30)) if rng.random() < 0.8 else ". " * int(rng.integers(3, 15))
        return f"{_section_number(rng)} {topic} {leader} {int(rng.integers(1, 400))}"
    if r < 0.7:
        return fixed.upper() if rng.random() < 0.5 else fixed
    if r < 0.85:
        return topic.upper()
    return topic


def list_item(corpus: ProseCorpus, rng: Rng, surnames: tuple[str, ...]) -> str:
    """Numbered and bulleted items: "1. ...", "(b) ...", "iii) ...", "* ..."."""
    r = rng.random()
    n = int(rng.integers(1, 20))
    if r < 0.35:
        marker = f"{n}{rng.choice(['.', ')', ':'])}"
    elif r < 0.55:
        marker = f"({string.ascii_lowercase[n % 26]})" if rng.random() < 0.6 else f"{string.ascii_lowercase[n % 26]})"
    elif r < 0.65:
        marker = f"{ROMAN[n % len(ROMAN)].lower()}{rng.choice(['.', ')'])}"
    else:
        marker = str(rng.choice(BULLETS))
    body = " ".join(_words(corpus, rng, int(rng.integers(12, 80))))
    return f"{marker} {body}"


def citation(corpus: ProseCorpus, rng: Rng, surnames: tuple[str, ...]) -> str:
    """A reference-list entry: "[12] A. Smith and J. Doe. Title. Proc. ABC, 2019, pp. 1-9."."""
    k = int(rng.integers(1, 5))
    authors = [_name(rng, surnames) for _ in range(k)]
    who = authors[0] if k == 1 else ", ".join(authors[:-1]) + rng.choice([" and ", ", and ", " & "]) + authors[-1]
    if k > 2 and rng.random() < 0.3:
        who = f"{authors[0]} et al."
    title = " ".join(_bare_words(corpus, rng, int(rng.integers(15, 60)), "Untitled"))
    title = title[:1].upper() + title[1:]
    venue = f"{rng.choice(VENUES)} {''.join(rng.choice(list(string.ascii_uppercase), int(rng.integers(2, 6))))}"
    year = int(rng.integers(1950, 2027))
    first = int(rng.integers(1, 900))
    pages = f"pp. {first}-{first + int(rng.integers(1, 30))}" if rng.random() < 0.7 else f"{first}"
    tail = rng.choice([f"{venue}, {year}, {pages}.", f"{venue} {int(rng.integers(1, 60))}({int(rng.integers(1, 12))}):"
                       f"{first}-{first + 12}, {year}.", f"({year}) {venue}, {pages}."])
    label = rng.choice([f"[{int(rng.integers(1, 80))}] ", f"{int(rng.integers(1, 80))}. ", "", f"[{who.split()[-1][:3]}{year % 100:02d}] "])
    return f"{label}{who}. {title}. {tail}" if rng.random() < 0.7 else f"{label}{who} ({year}). {title}."


def caption(corpus: ProseCorpus, rng: Rng, surnames: tuple[str, ...]) -> str:
    """Figure and table captions: "Figure 3. ...", "Table 2: ...", "Fig. 4(b) ..."."""
    kind = str(rng.choice(["Figure", "Fig.", "Table", "TABLE", "FIGURE", "Plate", "Chart", "Listing", "Exhibit"]))
    number = f"{int(rng.integers(1, 30))}" if rng.random() < 0.8 else f"{int(rng.integers(1, 9))}.{int(rng.integers(1, 9))}"
    if rng.random() < 0.15:
        number += f"({rng.choice(list('abcd'))})"
    body = " ".join(_words(corpus, rng, int(rng.integers(10, 70))))
    return f"{kind} {number}{rng.choice(['.', ':', '', ' -'])} {body}"


def _cell(rng: Rng, corpus: ProseCorpus) -> str:
    r = rng.random()
    if r < 0.3:
        return f"{rng.normal(0, 50):.{int(rng.integers(0, 4))}f}"
    if r < 0.45:
        return f"{rng.uniform(0, 100):.1f}%"
    if r < 0.55:
        return f"{rng.uniform(0, 1):.2f} +- {rng.uniform(0, 0.2):.2f}" if rng.random() < 0.5 else f"{int(rng.integers(0, 99999)):,}"
    if r < 0.62:
        return str(rng.choice(["-", "n/a", "N/A", "--", "0", "yes", "no", "x", "*", "**"]))
    return " ".join(_bare_words(corpus, rng, int(rng.integers(4, 20)), "total"))


def table_row(corpus: ProseCorpus, rng: Rng, surnames: tuple[str, ...]) -> str:
    """A table row: a label and numeric columns separated by wide gaps or rules."""
    cells = [_cell(rng, corpus) for _ in range(int(rng.integers(2, 7)))]
    sep = str(rng.choice(["   ", "    ", "  ", " | ", "      "]))
    return sep.join(cells)


def footnote(corpus: ProseCorpus, rng: Rng, surnames: tuple[str, ...]) -> str:
    """Footnotes and running heads / page numbers."""
    r = rng.random()
    page = int(rng.integers(1, 600))
    if r < 0.4:
        mark = str(rng.choice([str(int(rng.integers(1, 40))), "*", "**", "+", "a", "1)"]))
        return f"{mark} {' '.join(_words(corpus, rng, int(rng.integers(20, 90))))}"
    if r < 0.55:
        return str(rng.choice([f"{page}", f"- {page} -", f"Page {page}", f"Page {page} of {page + int(rng.integers(0, 50))}",
                               f"p. {page}", f"{ROMAN[page % len(ROMAN)].lower()}", f"[{page}]"]))
    if r < 0.8:
        head = _title(_bare_words(corpus, rng, int(rng.integers(15, 50)), "Contents"))
        return str(rng.choice([f"{page}   {head.upper()}", f"{head}   {page}", f"{head.upper()}",
                               f"{_name(rng, surnames)} et al.   {page}"]))
    volume, number = int(rng.integers(1, 80)), int(rng.integers(1, 12))
    month = str(rng.choice(["JANUARY", "MARCH", "JUNE", "SEPTEMBER", "DECEMBER", "Spring", "Fall"]))
    return f"{rng.choice(['JOURNAL OF', 'ANNALS OF', 'PROCEEDINGS OF', 'Review of'])} {_bare_words(corpus, rng, 20, 'Science')[0].upper()}, " \
           f"VOL. {volume}, NO. {number}, {month} {int(rng.integers(1950, 2027))}"


def _var(rng: Rng) -> str:
    base = str(rng.choice(list("xyzabcnkmtpqrfgXYZNTRFE") + GREEK_NAMES))
    if rng.random() < 0.3:
        base += f"_{rng.choice(['i', 'j', 'k', 'n', '0', '1', 't', 'ij'])}"
    return base


def equation(corpus: ProseCorpus, rng: Rng, surnames: tuple[str, ...]) -> str:
    """Equations written as text and quantities with units: "x = 2.5(n - 1)", "12.5 kg"."""
    r = rng.random()
    num = f"{rng.uniform(0, 100):.{int(rng.integers(0, 3))}f}"
    if r < 0.35:
        terms = [f"{num}({_var(rng)} {rng.choice(['-', '+'])} {int(rng.integers(1, 9))})", f"{_var(rng)}^{int(rng.integers(2, 4))}",
                 f"{int(rng.integers(2, 9))}{_var(rng)}", f"{_var(rng)}/{_var(rng)}", f"sqrt({_var(rng)})",
                 f"log({_var(rng)})", f"sum({_var(rng)})", f"({_var(rng)} + {_var(rng)})^2", num]
        rhs = f" {rng.choice(['+', '-', '*', '/'])} ".join(rng.choice(terms, int(rng.integers(1, 4))))
        eq = f"{_var(rng)} {rng.choice(['=', '=', '<', '>', '<=', '>=', '~'])} {rhs}"
        return eq + (f"   ({int(rng.integers(1, 40))})" if rng.random() < 0.3 else "")
    if r < 0.55:
        return f"{rng.choice(['p', 'P', 'n', 'N', 'r', 'R^2', 't', 'F'])} {rng.choice(['=', '<', '>'])} {rng.uniform(0, 1):.{int(rng.integers(2, 4))}f}"
    if r < 0.85:
        return f"{num}{rng.choice([' ', '', ' '])}{rng.choice(UNITS)}" + (
            f" {rng.choice(['+-', 'x', 'to', '-'])} {rng.uniform(0, 100):.1f} {rng.choice(UNITS)}" if rng.random() < 0.3 else "")
    words = " ".join(_words(corpus, rng, int(rng.integers(10, 40))))
    return f"{words} {num} {rng.choice(UNITS)}"
