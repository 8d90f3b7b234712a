"""Typeset conventions: how a line typed with straight quotes and double hyphens looks once printed.

Books, newspapers and most documents print curly quotes and apostrophes, en and em dashes and
the ellipsis sign; each language has its own quotation marks (« » in French with spaces inside,
„ “ or » « in German, « » or “ ” in Spanish, Italian and Portuguese). Typewriters, code, forms and
receipts keep the straight forms, so the text sampler applies :func:`typeset` only to running text
and document furniture, and only to part of it.
"""

from __future__ import annotations

import re

import numpy as np

Rng = np.random.Generator

#: language -> (opening, closing) double quotes and their chance, the first being the commonest.
QUOTES: dict[str, list[tuple[tuple[str, str], float]]] = {
    "en": [(("“", "”"), 0.9), (("‘", "’"), 0.1)],
    "fr": [(("« ", " »"), 0.7), (("«", "»"), 0.15), (("“", "”"), 0.15)],
    "de": [(("„", "“"), 0.65), (("»", "«"), 0.25), (("‚", "‘"), 0.1)],
    "es": [(("«", "»"), 0.6), (("“", "”"), 0.4)],
    "it": [(("«", "»"), 0.6), (("“", "”"), 0.4)],
    "pt": [(("“", "”"), 0.5), (("«", "»"), 0.5)],
    "nl": [(("“", "”"), 0.6), (("‘", "’"), 0.25), (("„", "”"), 0.15)],
}
_DOUBLE = re.compile(r'"([^"\n]{1,200})"')
_SINGLE = re.compile(r"(?<![\w'])'([^'\n]{1,200})'(?![\w])")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)|(?<=\w)'(?=\s|$)|(?<=\s)'(?=\d\d)")
_NUMBER_RANGE = re.compile(r"(?<=\d)-(?=\d)")


def _choose(rng: Rng, options: list[tuple[tuple[str, str], float]]) -> tuple[str, str]:
    weights = np.array([w for _, w in options])
    return options[int(rng.choice(len(options), p=weights / weights.sum()))][0]


def typeset(text: str, rng: Rng, language: str = "en") -> str:
    """``text`` as a typesetter prints it in ``language`` (``en fr de es it pt nl``).

    Straight double quotes become the language's quotes, apostrophes become ’, `` -- `` and a spaced
    hyphen become an em dash (spaced or not) or a spaced en dash, ``...`` the ellipsis sign and a
    hyphen between digits an en dash (page and year ranges). Quotes that do not pair are left as they are.

    >>> typeset('He said "yes" -- it\\'s 10-12...', np.random.default_rng(0))  # doctest: +SKIP
    'He said “yes” — it’s 10–12…'
    """
    opening, closing = _choose(rng, QUOTES.get(language, QUOTES["en"]))
    text = _DOUBLE.sub(lambda m: f"{opening}{m.group(1).strip() if opening.endswith(' ') else m.group(1)}{closing}", text)
    if language in ("en", "nl"):
        text = _SINGLE.sub(lambda m: f"‘{m.group(1)}’", text)
    text = _APOSTROPHE.sub("’", text)
    dash = rng.random()
    if dash < 0.5:
        text = text.replace(" -- ", "—").replace("--", "—")
    elif dash < 0.75:
        text = text.replace(" -- ", " — ").replace("--", "—")
    else:
        text = text.replace(" -- ", " – ").replace("--", "–")
    if " - " in text and rng.random() < 0.6:
        text = text.replace(" - ", " – " if rng.random() < 0.6 else "—")
    if rng.random() < 0.7:
        text = text.replace("...", "…")
    if rng.random() < 0.6:
        text = _NUMBER_RANGE.sub("–", text)
    return text
