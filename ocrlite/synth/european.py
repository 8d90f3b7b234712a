"""Generator v3's European text sources: prose, names, money, dates and signs of six languages.

The texts live in ``ocrlite/data/corpus/lang/`` (built by ``scripts/data/build_corpus_v3.py``; sources and licences
in its ``SOURCES.tsv``): per language ``LANG.prose.txt`` (running text), ``LANG.names.txt`` (Faker's
locale names, streets, cities, companies, jobs) and ``LANG.words.txt`` (frequent words). Numbers,
prices, percentages and dates are formatted at draw time by Babel in each locale's own way
("1.234,56 €", "1 234,56 €", "€ 1.234,56", "3. März 2024"). Every function takes a
``numpy.random.Generator`` and returns one line; nothing else is random.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ocrlite.utils.limits import read_text_capped
from ocrlite.synth.prose import ProseCorpus, load_prose, prose_line, word_window
from ocrlite.synth.typeset import typeset

Rng = np.random.Generator

#: Babel locales per language (the language's countries whose formats differ).
LOCALES: dict[str, tuple[str, ...]] = {
    "fr": ("fr_FR", "fr_BE", "fr_CH", "fr_CA"), "de": ("de_DE", "de_AT", "de_CH"), "es": ("es_ES", "es_MX", "es_AR"),
    "it": ("it_IT", "it_CH"), "pt": ("pt_PT", "pt_BR"), "nl": ("nl_NL", "nl_BE"), "en": ("en_GB", "en_US", "en_IE"),
}
CURRENCIES = {"fr": ("EUR", "CHF", "CAD"), "de": ("EUR", "CHF"), "es": ("EUR", "MXN", "ARS", "USD"),
              "it": ("EUR", "CHF"), "pt": ("EUR", "BRL"), "nl": ("EUR",), "en": ("GBP", "EUR", "USD")}
#: Words that label amounts and fields on invoices and receipts, per language.
FIELD_LABELS = {
    "fr": ["Total TTC", "Total HT", "TVA", "Montant", "Sous-total", "Remise", "Espèces", "Rendu", "Prix unitaire",
           "Facture n°", "Date", "Référence", "Échéance", "Acompte", "Frais de port", "Quantité", "Tél.", "Réglé"],
    "de": ["Gesamtsumme", "Summe", "MwSt.", "USt.", "Netto", "Brutto", "Bar", "Rückgeld", "Einzelpreis", "Rechnung Nr.",
           "Datum", "Betrag", "Zwischensumme", "Rabatt", "Versandkosten", "Menge", "Fällig am", "Gegeben"],
    "es": ["Total", "IVA", "Base imponible", "Importe", "Subtotal", "Descuento", "Efectivo", "Cambio", "Precio unitario",
           "Factura n.º", "Fecha", "Cantidad", "Envío", "Pagado", "Teléfono", "Nº de pedido"],
    "it": ["Totale", "IVA", "Imponibile", "Importo", "Subtotale", "Sconto", "Contanti", "Resto", "Prezzo unitario",
           "Fattura n.", "Data", "Quantità", "Spedizione", "Pagato", "Scontrino n°"],
    "pt": ["Total", "IVA", "Subtotal", "Desconto", "Dinheiro", "Troco", "Preço unitário", "Fatura n.º", "Data",
           "Quantidade", "Portes", "Pago", "Nº contribuinte", "Valor"],
    "nl": ["Totaal", "BTW", "Subtotaal", "Korting", "Contant", "Wisselgeld", "Prijs per stuk", "Factuurnummer",
           "Datum", "Bedrag", "Aantal", "Verzendkosten", "Betaald", "Te betalen"],
}
BULLETS = ["•", "•", "•", "·", "–", "—", "»", "›", "*", "-", "o"]
UNIT_SIGNS = ["°C", "°F", "°", "m²", "m³", "cm²", "km²", "µm", "µg", "mg/m³", "‰", "%", "kWh/m²", "N·m", "¢"]


@dataclass(frozen=True)
class LanguageTexts:
    """One language's prose, Faker rows by kind, and frequent words."""

    language: str
    prose: ProseCorpus | None
    names: dict[str, tuple[str, ...]]
    words: tuple[str, ...]


@lru_cache(maxsize=4)
def load_languages(folder: str) -> tuple[LanguageTexts, ...]:
    """Every language with a ``LANG.prose.txt`` in ``folder`` (names and words optional), sorted by code.

    Raises:
        FileNotFoundError: the folder holds no ``*.prose.txt``.
    """
    root = Path(folder)
    files = sorted(root.glob("*.prose.txt")) if root.is_dir() else []
    if not files:
        raise FileNotFoundError(f"{root}: no LANG.prose.txt files (build them with scripts/data/build_corpus_v3.py)")
    out = []
    for path in files:
        lang = path.name.split(".")[0]
        names: dict[str, list[str]] = {}
        names_file = root / f"{lang}.names.txt"
        if names_file.is_file():
            for line in read_text_capped(names_file, "names file").splitlines():
                kind, _, value = line.partition("\t")
                if value.strip():
                    names.setdefault(kind, []).append(value.strip())
        words_file = root / f"{lang}.words.txt"
        words = tuple(read_text_capped(words_file, "word list").split()) if words_file.is_file() else ()
        out.append(LanguageTexts(lang, load_prose(str(path)), {k: tuple(v) for k, v in names.items()}, words))
    return tuple(out)


def _pick(rng: Rng, seq):
    return seq[int(rng.integers(len(seq)))]


def _language(rng: Rng, languages: tuple[LanguageTexts, ...]) -> LanguageTexts:
    return languages[int(rng.integers(len(languages)))]


def _locale(rng: Rng, lang: str) -> str:
    return _pick(rng, LOCALES.get(lang, LOCALES["en"]))


def _amount(rng: Rng) -> float:
    return round(float(np.exp(rng.uniform(-1.5, 9))), 2)


def money(rng: Rng, lang: str) -> str:
    """A price as the locale prints it, sometimes without the sign or with the code ("12,50 EUR")."""
    from babel.numbers import format_currency, format_decimal

    locale, value = _locale(rng, lang), _amount(rng)
    currency = _pick(rng, CURRENCIES.get(lang, ("EUR",)))
    r = rng.random()
    if r < 0.6:
        return format_currency(value, currency, locale=locale)
    number = format_decimal(value, format="#,##0.00", locale=locale)
    if r < 0.8:
        return number
    return f"{number} {currency if rng.random() < 0.5 else '€'}"


def date_text(rng: Rng, lang: str) -> str:
    """A date (and sometimes a time) in one of the locale's formats."""
    from babel.dates import format_date, format_time

    locale = _locale(rng, lang)
    day = datetime.date(int(rng.integers(1950, 2031)), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
    text = format_date(day, format=_pick(rng, ["short", "medium", "long", "full", "dd.MM.yyyy", "dd/MM/yyyy"]),
                       locale=locale)
    if rng.random() < 0.25:
        text += " " + format_time(datetime.time(int(rng.integers(0, 24)), int(rng.integers(0, 60))), format="short",
                                  locale=locale)
    return text


def eu_prose(rng: Rng, languages: tuple[LanguageTexts, ...], max_chars: int) -> str:
    """Running text of a European language, typeset as printed two times in three."""
    texts = _language(rng, [t for t in languages if t.prose is not None] or languages)
    budget = int(np.clip(rng.normal(52, 22), 4, max_chars))
    text = prose_line(texts.prose, rng, budget)
    if rng.random() < 0.66:
        text = typeset(text, rng, texts.language)
    if texts.language == "es" and rng.random() < 0.06:
        text = "—" + text  # dialogue
    return text


def eu_phrase(rng: Rng, languages: tuple[LanguageTexts, ...]) -> str:
    """A few frequent words of one language, in the case documents use."""
    texts = _language(rng, [t for t in languages if t.words] or languages)
    if not texts.words:
        return eu_prose(rng, languages, 40)
    words = [_pick(rng, texts.words) for _ in range(int(rng.choice([1, 2, 2, 3, 4, 5, 7])))]
    text = " ".join(words)
    r = rng.random()
    return text.upper() if r < 0.25 else text.capitalize() if r < 0.6 else text


def eu_names(rng: Rng, languages: tuple[LanguageTexts, ...]) -> str:
    """A person, street, city, company or job line, sometimes with a field label."""
    texts = _language(rng, [t for t in languages if t.names] or languages)
    if not texts.names:
        return eu_phrase(rng, languages)
    kind = _pick(rng, sorted(texts.names))
    value = _pick(rng, texts.names[kind])
    r = rng.random()
    if r < 0.2:
        value = value.upper()
    if kind == "city" and rng.random() < 0.3:
        street = _pick(rng, texts.names.get("street", (value,)))
        value = f"{street}, {value}"
    if rng.random() < 0.15 and texts.language in FIELD_LABELS:
        value = f"{_pick(rng, FIELD_LABELS[texts.language])} : {value}" if texts.language == "fr" else \
            f"{_pick(rng, FIELD_LABELS[texts.language])}: {value}"
    return value


def locale_amount(rng: Rng, languages: tuple[LanguageTexts, ...]) -> str:
    """Invoice and receipt lines with the locale's money, percentages and dates ("MwSt. 19 %: 3,42 €")."""
    from babel.numbers import format_percent

    lang = _language(rng, languages).language
    labels = FIELD_LABELS.get(lang, ["Total"])
    r = rng.random()
    if r < 0.35:
        gap = " " * int(rng.choice([1, 1, 2, 4]))
        sep = " :" if lang == "fr" else ":"
        return f"{_pick(rng, labels)}{_pick(rng, [sep, '', ' '])}{gap}{money(rng, lang)}"
    if r < 0.5:
        pct = format_percent(float(rng.choice([0.055, 0.07, 0.1, 0.19, 0.2, 0.21, 0.22, 0.23, 0.025, 0.081])),
                             locale=_locale(rng, lang), format="#,##0.#%")
        return f"{_pick(rng, labels)} {pct} {money(rng, lang)}"
    if r < 0.7:
        return f"{_pick(rng, labels)}{_pick(rng, [': ', ' ', ' : '])}{date_text(rng, lang)}"
    if r < 0.85:
        qty = int(rng.integers(1, 13))
        word = _pick(rng, _language(rng, languages).words or ("article",))
        return f"{qty} {_pick(rng, ['x', '×', '@', ''])} {word.upper() if rng.random() < 0.5 else word} {money(rng, lang)}"
    return date_text(rng, lang)


def signs(rng: Rng, languages: tuple[LanguageTexts, ...]) -> str:
    """Document and receipt signs in context: bullets, °C, m², ±, ×, ½, §, ©, ™, Nº, ‰, ′ ″, daggers."""
    texts = _language(rng, languages)
    word = _pick(rng, texts.words) if texts.words else "item"
    words = " ".join(word_window(texts.prose.words_of(rng), rng, 40)) if texts.prose else word
    n = float(rng.uniform(0, 100))
    templates = [
        lambda: f"{_pick(rng, BULLETS)} {words}",
        lambda: f"{n:.0f} {_pick(rng, UNIT_SIGNS)}",
        lambda: f"{_pick(rng, ['Température', 'Temperatur', 'Temperatura', 'Temperature'])} : {n - 20:.1f} °C",
        lambda: f"{n:.1f} m² {words}",
        lambda: f"{n:.1f} ± {n / 20:.2f} {_pick(rng, ['mm', 'µm', '%', '°', 'g'])}",
        lambda: f"{int(rng.integers(2, 20))} × {int(rng.integers(2, 50))} {_pick(rng, ['cm', 'mm', 'm', ''])}".strip(),
        lambda: f"{_pick(rng, ['½', '¼', '¾', '1½', '2¼'])} {word}",
        lambda: f"§ {int(rng.integers(1, 300))}{_pick(rng, ['', ' Abs. 2', ' al. 3', ', 2°', ' (1)'])} {words}",
        lambda: f"© {int(rng.integers(1970, 2031))} {_pick(rng, texts.names.get('company', (word,)))}",
        lambda: f"{word.capitalize()}™" if rng.random() < 0.5 else f"{word.upper()}®",
        lambda: f"{_pick(rng, ['Nº', 'N°', 'n.º', 'No.', '№'])} {int(rng.integers(1, 99999))}",
        lambda: f"{n / 10:.1f} ‰",
        lambda: f"{int(rng.integers(3, 7))}′ {int(rng.integers(0, 12))}″",
        lambda: f"{_pick(rng, ['†', '‡', '*', '¹', '²', '³'])} {words}",
        lambda: f"{words} …",
        lambda: f"{_pick(rng, ['¡', '¿'])}{words.capitalize()}{'!' if rng.random() < 0.5 else '?'}",
        lambda: f"{int(rng.integers(1, 99))}{_pick(rng, ['º', 'ª', 'e', 'er', '.'])} {word}",
        lambda: f"{_pick(rng, BULLETS)} {word.capitalize()} {money(rng, texts.language)}",
    ]
    return templates[int(rng.integers(len(templates)))]()


def smallcap_heading(rng: Rng, languages: tuple[LanguageTexts, ...], surnames: tuple[str, ...]) -> str:
    """A heading, author line or label in title case: the lines documents set in small or full capitals."""
    texts = _language(rng, languages)
    r = rng.random()
    if r < 0.35 and texts.names.get("person"):
        names = [_pick(rng, texts.names["person"]) for _ in range(int(rng.choice([1, 1, 2, 3])))]
        return _pick(rng, [", ", " and ", " et ", " und ", " y ", " e ", " en "]).join(names)
    if r < 0.5:
        initials = ". ".join(_pick(rng, "ABCDEFGHIJKLMNOPRSTVW") for _ in range(int(rng.integers(1, 3))))
        return f"{initials}. {_pick(rng, surnames)}"
    words = [w.strip(".,;:!?\"'()[]«»“”„") for w in word_window(texts.prose.words_of(rng), rng, 40)] if texts.prose \
        else [_pick(rng, texts.words) for _ in range(3)]
    words = [w for w in words if w] or ["Introduction"]
    return " ".join(w[:1].upper() + w[1:] for w in words[: int(rng.integers(1, 6))])
