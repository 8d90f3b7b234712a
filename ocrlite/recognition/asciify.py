"""Output for ASCII pipelines: typographic punctuation to its ASCII form, and optionally accents stripped.

By default ocrlite prints what the page shows (“quotes”, l’apostrophe, en – and em — dashes, …). A
pipeline that only takes ASCII asks for ``--ascii`` (``predict`` / ``eval``; ``ascii=True`` in the
Python API): punctuation and signs become their ASCII spelling, letters keep their accents unless
``--strip-accents`` is given too (é → e, ß → ss, Œ → OE). Pure Python, no dependencies.
"""

from __future__ import annotations

import unicodedata

#: Typographic punctuation and signs → ASCII.
PUNCTUATION = {
    "“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"', "″": '"',
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "‹": "'", "›": "'", "′": "'", "´": "'", "`": "`",
    "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-", "…": "...", "•": "*", "·": ".",
    "×": "x", "÷": "/", "±": "+/-", "€": "EUR", "£": "GBP", "¥": "JPY", "¢": "c", "©": "(c)", "®": "(R)",
    "™": "(TM)", "‰": "o/oo", "№": "No", "†": "+", "‡": "++", "¶": "P", "§": "S", "¦": "|", "¬": "-",
    "½": "1/2", "¼": "1/4", "¾": "3/4", "²": "2", "³": "3", "¹": "1", "°": "o", "µ": "u", "¡": "!", "¿": "?",
    "\u00a0": " ", "º": "o", "ª": "a", "¤": "$", "¯": "-", "¨": '"', "¸": ",",
}
#: Letters NFKD does not decompose into an ASCII letter and a mark.
LETTERS = {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ð": "d", "Ð": "D",
           "þ": "th", "Þ": "TH", "ł": "l", "Ł": "L", "ı": "i"}
_PUNCTUATION_TABLE = str.maketrans(PUNCTUATION)
_LETTER_TABLE = str.maketrans(LETTERS)


def asciify(text: str, strip_accents: bool = False) -> str:
    """``text`` with typographic punctuation in ASCII; with ``strip_accents`` letters too (the result is ASCII).

    >>> asciify("“Déjà vu” – 12 €…")
    '"Déjà vu" - 12 EUR...'
    >>> asciify("Straße, Œuvre, café", strip_accents=True)
    'Strasse, OEuvre, cafe'
    """
    text = text.translate(_PUNCTUATION_TABLE)
    if not strip_accents:
        return text
    text = unicodedata.normalize("NFKD", text.translate(_LETTER_TABLE))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.encode("ascii", "replace").decode("ascii")
