"""Build generator v3's European-language texts, ``ocrlite/data/corpus/lang/`` (maintainer tool; output committed).

    python scripts/data/build_corpus_v3.py --debs /tmp/textdebs --out ocrlite/data/corpus/lang --force

Needs ``apt-get``, ``dpkg-deb`` and ``groff`` (Debian), and ``Faker`` and ``wordfreq`` (PyPI) at build time
only; nothing here runs when a user trains. For each language of :data:`LANGUAGES` it writes:

* ``LANG.prose.txt`` — paragraphs of real running text, ``tag<TAB>paragraph`` (tag ``doc``: the Debian
  Reference, the Debian FAQ and translated manual pages; ``book``: fortune-cookie quotations, literature
  and sayings). Sentences keep their own accents, quotes and dashes.
* ``LANG.names.txt`` — ``kind<TAB>value`` rows from Faker's locale providers: person names, street
  addresses, postcodes with cities, companies, job titles (invented but locale-true strings).
* ``LANG.words.txt`` — the language's most frequent words (wordfreq), for dictionary phrases.
* ``SOURCES.tsv`` — every source package, what was taken, and its licence; the packages' ``copyright``
  files go to ``licenses/``.

Every tenth paragraph is held out of training into ``--judge`` (``data/corpus_judge/LANG.prose.txt``), with
English running text from packages the English corpus never used (:data:`ENGLISH_JUDGE`), for the judge
sets of ``scripts/data/make_judge_sets.py``: the judge reads text no model was trained on.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import html.parser
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

from build_fonts import licence_names  # the same Debian copyright-file reader (scripts/ is on sys.path)

#: language -> (Debian packages of running text, Faker locales).
LANGUAGES: dict[str, tuple[list[str], list[str]]] = {
    "fr": (["debian-reference-fr", "debian-faq-fr", "manpages-fr"], ["fr_FR", "fr_CH"]),
    "de": (["debian-reference-de", "debian-faq-de", "manpages-de", "fortunes-de"], ["de_DE", "de_AT", "de_CH"]),
    "es": (["debian-reference-es", "manpages-es", "fortunes-es"], ["es_ES", "es_MX"]),
    "it": (["debian-reference-it", "debian-faq-it", "manpages-it", "fortunes-it"], ["it_IT"]),
    "pt": (["debian-reference-pt", "debian-faq-pt", "manpages-pt-br", "fortunes-br"], ["pt_PT", "pt_BR"]),
    "nl": (["debian-faq-nl", "manpages-nl"], ["nl_NL", "nl_BE"]),
}
#: English running text for the judge sets only (data/corpus/prose.txt never drew on these packages).
ENGLISH_JUDGE = ["debian-reference-en", "debian-faq"]
JUDGE_EVERY = 10
MAX_PARAGRAPHS = {"doc": 2200, "book": 1200}  # per language: ~1 MB of text each
MAX_PARAGRAPH_CHARS = 700
WORDS_PER_LANGUAGE = 20000
NAMES_PER_KIND = 1500
LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


def clean(text: str) -> str:
    """One paragraph: NFC, single spaces, no control characters."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(text.split())


def is_prose(text: str, min_words: int = 6) -> bool:
    """Mostly words: at least ``min_words`` words, ≥ 70 % letters among non-space characters, few code marks."""
    words = text.split()
    body = text.replace(" ", "")
    if len(words) < min_words or not body:
        return False
    letters = len(LETTERS.findall(body))
    return letters / len(body) >= 0.7 and not re.search(r"[{}<>$=\\]|/usr/|/etc/|--\w", text)


class ParagraphParser(html.parser.HTMLParser):
    """The text of every ``<p>`` (and ``<li>``/``<dd>``) element of an HTML page, without ``<code>``-like markup."""

    BLOCKS = {"p", "li", "dd"}
    SKIP = {"pre", "code", "tt", "script", "style", "kbd", "samp"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._parts: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCKS:
            self._flush()
            self._parts = []

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data):
        if self._parts is not None:
            self._parts.append("…" if self._skip else data)  # code inside a sentence: an ellipsis, not text

    def _flush(self):
        if self._parts:
            self.paragraphs.append(clean("".join(self._parts)))
        self._parts = None


def html_paragraphs(root: Path) -> list[str]:
    out: list[str] = []
    for path in sorted(root.rglob("*.html")):
        parser = ParagraphParser()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        parser.close()
        out.extend(p for p in parser.paragraphs if "…" not in p and is_prose(p))
    return out


def man_paragraphs(root: Path, limit: int = 400) -> list[str]:
    """Running-text paragraphs of translated man pages (groff to UTF-8 text, indented blocks joined)."""
    out: list[str] = []
    for path in sorted(root.rglob("*.gz"))[:limit]:
        if "/man/" not in str(path):
            continue
        try:
            source = gzip.decompress(path.read_bytes())
            text = subprocess.run(["groff", "-Tutf8", "-man", "-rHY=0", "-P", "-cbou", "-K", "utf8"], input=source,
                                  capture_output=True, timeout=20).stdout.decode("utf-8", "replace")
        except (OSError, subprocess.TimeoutExpired, EOFError):
            continue
        for block in re.split(r"\n\s*\n", text):
            lines = [ln.strip() for ln in block.splitlines()]
            if len(lines) < 2:
                continue
            para = clean(" ".join(lines))
            para = re.sub(r"(\w)[-\u2010] (\w)", r"\1\2", para)  # words groff hyphenated at a line end
            if is_prose(para, min_words=10):
                out.append(para)
    return out


def fortune_paragraphs(root: Path) -> list[str]:
    """Quotations from a fortunes package's files; its ``off/`` folder is skipped: Debian stores the
    offensive fortunes ROT13-encoded there (``Yn tragr rf znyn`` is not Spanish to read)."""
    out: list[str] = []
    for path in sorted(root.rglob("*")):
        if (not path.is_file() or path.suffix in (".dat", ".gz", ".u8") or "/doc/" in str(path)
                or "off" in path.relative_to(root).parts):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if text.count("\n%\n") < 5:
            continue
        for item in text.split("\n%\n"):
            para = clean(item.replace("\t", " "))
            if is_prose(para, min_words=4) and len(para) <= MAX_PARAGRAPH_CHARS:
                out.append(para)
    return out


def spread(items: list[str], n: int) -> list[str]:
    """At most ``n`` items taken evenly over the list (every part of every source), de-duplicated."""
    unique = list(dict.fromkeys(i[:MAX_PARAGRAPH_CHARS].rsplit(" ", 1)[0] if len(i) > MAX_PARAGRAPH_CHARS else i
                                for i in items))
    if len(unique) <= n:
        return unique
    step = len(unique) / n
    return [unique[int(k * step)] for k in range(n)]


def faker_rows(locales: list[str]) -> list[tuple[str, str]]:
    from faker import Faker

    rows: list[tuple[str, str]] = []
    for locale in locales:
        fake = Faker(locale)
        fake.seed_instance(1234)
        makers = {"person": fake.name, "street": fake.street_address, "city": lambda: f"{fake.postcode()} {fake.city()}",
                  "company": fake.company, "job": fake.job}
        for kind, make in makers.items():
            for _ in range(NAMES_PER_KIND // len(locales)):
                try:
                    value = clean(make())
                except (AttributeError, ValueError):
                    break
                if value:
                    rows.append((kind, value))
    return list(dict.fromkeys(rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debs", type=Path, default=Path("/tmp/textdebs"), help="folder of downloaded .deb files")
    parser.add_argument("--out", type=Path, default=Path("ocrlite/data/corpus/lang"))
    parser.add_argument("--judge", type=Path, default=Path("data/corpus_judge"),
                        help="folder for the held-out paragraphs (never trained on)")
    parser.add_argument("--force", action="store_true", help="replace an existing --out")
    args = parser.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()) and not args.force:
        print(f"error: {args.out} exists; pass --force to rebuild it", file=sys.stderr)
        return 2
    import wordfreq

    args.debs.mkdir(parents=True, exist_ok=True)
    packages = sorted({p for pkgs, _ in LANGUAGES.values() for p in pkgs} | set(ENGLISH_JUDGE))
    for package in packages:
        if not list(args.debs.glob(f"{package}_*.deb")):
            subprocess.run(["apt-get", "download", package], cwd=args.debs, check=True, capture_output=True)
    staging = args.out.with_name(args.out.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "licenses").mkdir(parents=True)
    args.judge.mkdir(parents=True, exist_ok=True)
    sources: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for lang, (pkgs, locales) in LANGUAGES.items():
            tagged: dict[str, list[str]] = {"doc": [], "book": []}
            for package in pkgs:
                deb = sorted(args.debs.glob(f"{package}_*.deb"))[-1]
                root = Path(tmp) / package
                subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
                if package.startswith("fortunes-"):
                    found, tag = fortune_paragraphs(root / "usr/share/games"), "book"
                elif package.startswith("manpages-"):
                    found, tag = man_paragraphs(root / "usr/share/man"), "doc"
                else:
                    found, tag = html_paragraphs(root / "usr/share"), "doc"
                tagged[tag].extend(found)
                copyright_file = root / "usr/share/doc" / package / "copyright"
                if copyright_file.is_file():
                    shutil.copyfile(copyright_file, staging / "licenses" / f"{package}.copyright")
                sources.append({"language": lang, "source": f"Debian package {package} ({deb.name})",
                                "taken": f"{len(found)} {tag} paragraphs before sampling",
                                "license": licence_names(copyright_file) if copyright_file.is_file() else "unknown"})
            with open(staging / f"{lang}.prose.txt", "w", encoding="utf-8") as train_file, \
                    open(args.judge / f"{lang}.prose.txt", "w", encoding="utf-8") as judge_file:
                for tag, paras in tagged.items():
                    for k, para in enumerate(spread(paras, MAX_PARAGRAPHS[tag])):
                        (judge_file if k % JUDGE_EVERY == JUDGE_EVERY - 1 else train_file).write(f"{tag}\t{para}\n")
            rows = faker_rows(locales)
            with open(staging / f"{lang}.names.txt", "w", encoding="utf-8") as f:
                f.writelines(f"{kind}\t{value}\n" for kind, value in rows)
            sources.append({"language": lang, "source": f"PyPI Faker, locales {', '.join(locales)}",
                            "taken": f"{len(rows)} names, streets, cities, companies, jobs", "license": "MIT"})
            words = [w for w in wordfreq.top_n_list(lang, WORDS_PER_LANGUAGE * 2) if LETTERS.search(w)]
            (staging / f"{lang}.words.txt").write_text("\n".join(words[:WORDS_PER_LANGUAGE]) + "\n", encoding="utf-8")
            sources.append({"language": lang, "source": f"PyPI wordfreq {wordfreq.__version__ if hasattr(wordfreq, '__version__') else ''}".strip(),
                            "taken": f"the {WORDS_PER_LANGUAGE} most frequent words",
                            "license": "data CC-BY-SA 4.0 (code Apache-2.0)"})
        english: list[str] = []
        for package in ENGLISH_JUDGE:
            deb = sorted(args.debs.glob(f"{package}_*.deb"))[-1]
            root = Path(tmp) / package
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
            english.extend(html_paragraphs(root / "usr/share"))
        with open(args.judge / "en.prose.txt", "w", encoding="utf-8") as f:
            f.writelines(f"doc\t{para}\n" for para in spread(english, 400))
    with open(staging / "SOURCES.tsv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["language", "source", "taken", "license"], delimiter="\t",
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(sources)
    if args.out.exists():
        shutil.rmtree(args.out)
    staging.rename(args.out)
    for lang in LANGUAGES:
        n = sum(1 for _ in open(args.out / f"{lang}.prose.txt", encoding="utf-8"))
        print(f"{lang}: {n} paragraphs, {(args.out / f'{lang}.prose.txt').stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
