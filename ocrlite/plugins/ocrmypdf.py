"""ocrlite as an OCRmyPDF OCR engine: scanned PDF in, searchable PDF (or PDF/A) out, no Tesseract needed.

    pip install "ocrlite[ocrmypdf]"
    ocrmypdf --plugin ocrlite.plugins.ocrmypdf --rotate-pages --deskew scan.pdf scan.searchable.pdf

The plugin is also registered in OCRmyPDF's ``ocrmypdf`` entry-point group, so an OCRmyPDF that finds
ocrlite installed loads it without ``--plugin``; ``--ocr-engine tesseract`` (or ``none``) still selects those.

What it answers for OCRmyPDF, each from ocrlite's own page reader (:mod:`ocrlite.pages`):

- ``generate_hocr``: the page read (lines found by the learned detector, turned upright, read in order),
  written as hOCR with word boxes (:mod:`ocrlite.formats.hocr`); OCRmyPDF renders it as the text layer.
- ``get_orientation`` (``--rotate-pages``): which way is up, from which way the lines read more confidently.
- ``get_deskew`` (``--deskew``): the skew of the lines.
- ``languages``: English and the six European languages the default model reads (``eng deu fra spa ita
  nld por``); OCRmyPDF refuses any other ``-l`` with its own message naming the language.

The model is loaded once per worker process, with one thread (OCRmyPDF runs one worker per core with
``--jobs``). Options: ``--ocrlite-model`` (a shipped model name or a model file), ``--ocrlite-detector``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from pydantic import BaseModel

from ocrmypdf import hookimpl
from ocrmypdf.pluginspec import OcrEngine, OrientationConfidence

from ocrlite.utils.version import __version__

log = logging.getLogger(__name__)

#: Tesseract language codes of what the default model reads.
LANGUAGES = frozenset({"eng", "deu", "fra", "spa", "ita", "nld", "por"})
#: OCRmyPDF's built-in Tesseract plugin, set aside while ocrlite is the engine (it would demand the program).
TESSERACT_PLUGIN = "ocrmypdf.builtin_plugins.tesseract_ocr"
#: Orientation confidence given when the lines read clearly one way (OCRmyPDF's scale: 0–15, acts at 14).
SURE = 15.0


class OcrliteOptions(BaseModel):
    """The plugin's options (``--ocrlite-model``, ``--ocrlite-detector``)."""

    model: str = "default"
    detector: str = "auto"


def _other_engine_asked() -> bool:
    """Whether the command line selects Tesseract or no OCR (then ocrlite leaves the built-in plugin alone)."""
    argv = sys.argv[1:]
    for k, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--ocr-engine=") else (
            argv[k + 1] if arg == "--ocr-engine" and k + 1 < len(argv) else None)
        if value in ("tesseract", "none"):
            return True
    return False


@hookimpl
def initialize(plugin_manager) -> None:
    if not _other_engine_asked():
        plugin_manager.set_blocked(TESSERACT_PLUGIN)


@hookimpl
def register_options():
    from ocrmypdf.builtin_plugins.tesseract_ocr import TesseractOptions

    # Tesseract's option namespace stays known (OCRmyPDF's own checks read it) even while its plugin is set aside.
    return {"ocrlite": OcrliteOptions, "tesseract": TesseractOptions}


@hookimpl
def add_options(parser) -> None:
    group = parser.add_argument_group("ocrlite", "ocrlite OCR engine (light CRNN; no Tesseract needed)")
    group.add_argument("--ocrlite-model", default="default", metavar="MODEL",
                       help="a shipped model (default, fast) or a model file (.onnx or .pt)")
    group.add_argument("--ocrlite-detector", default="auto", choices=["auto", "learned", "classic"],
                       help="how lines are found: the learned detector (any background or rotation) or classic")


@hookimpl
def check_options(options) -> None:
    from ocrmypdf.exceptions import BadArgsError

    if getattr(options, "ocr_engine", "auto") not in ("auto", "ocrlite"):
        return
    unknown = [code for code in getattr(options, "languages", None) or [] if code not in LANGUAGES]
    if unknown:
        raise BadArgsError(f"-l {'+'.join(unknown)}: ocrlite reads {', '.join(sorted(LANGUAGES))} (Latin-script "
                           f"Western European print); use --ocr-engine tesseract for other languages")
    settings = _settings(options)
    try:
        _reader(settings.model, settings.detector)
    except (SystemExit, Exception) as err:  # noqa: BLE001 - one clear message instead of a traceback
        raise BadArgsError(f"--ocrlite-model {settings.model}: {err}") from None


@hookimpl
def get_ocr_engine(options):
    if options is not None and getattr(options, "ocr_engine", "auto") not in ("auto", "ocrlite"):
        return None
    return OcrliteEngine()


def _settings(options) -> OcrliteOptions:
    try:
        return options.ocrlite
    except AttributeError:
        return OcrliteOptions()


_READERS: dict[tuple[str, str], object] = {}


def _reader(model: str, detector: str):
    """The reader for ``model`` and ``detector``, loaded once per process (one thread: OCRmyPDF runs a worker per core)."""
    key = (model, detector)
    if key not in _READERS:
        from ocrlite.api import load_recognizer
        from ocrlite.pages.reader import resolve_detector

        reader = load_recognizer(None if model == "default" else model, threads=1)
        reader.detector = resolve_detector(detector)
        _READERS[key] = reader
    return _READERS[key]


def _read(input_file: Path, options):
    settings = _settings(options)
    return _reader(settings.model, settings.detector).read_page(str(input_file))


class OcrliteEngine(OcrEngine):
    """OCRmyPDF's view of ocrlite."""

    @staticmethod
    def version() -> str:
        return __version__

    @staticmethod
    def creator_tag(options) -> str:
        return f"ocrlite {__version__}"

    def __str__(self) -> str:
        return f"ocrlite {__version__}"

    @staticmethod
    def languages(options) -> set[str]:
        return set(LANGUAGES)

    @staticmethod
    def get_orientation(input_file: Path, options) -> OrientationConfidence:
        """The clockwise turn that puts the page upright, sure when at least three lines read well."""
        result = _read(input_file, options)
        readable = [line for line in result.lines if line.confidence >= 0.5]
        confidence = SURE if len(readable) >= 3 else 0.0
        return OrientationConfidence(angle=(-result.rotation) % 360, confidence=confidence)

    @staticmethod
    def get_deskew(input_file: Path, options) -> float:
        """Degrees counter-clockwise that level the page's lines (what Pillow's ``rotate`` takes)."""
        result = _read(input_file, options)
        return float(result.skew) if result.lines else 0.0

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options) -> None:
        from ocrlite.formats.hocr import to_hocr

        result = _read(input_file, options)
        languages = [code for code in getattr(options, "languages", None) or ["eng"]]
        output_hocr.write_text(to_hocr([result], Path(input_file).name, language=_iso(languages[0])),
                               encoding="utf-8")
        output_text.write_text(result.text + "\n", encoding="utf-8")

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options) -> None:
        """A text-only PDF the size of the page image (OCRmyPDF's ``sandwich`` renderer)."""
        from ocrlite.formats.searchable_pdf import SearchablePdf

        result = _read(input_file, options)
        document = SearchablePdf()
        document.add_page(result, None)
        output_pdf.write_bytes(document.to_bytes())
        output_text.write_text(result.text + "\n", encoding="utf-8")


def _iso(code: str) -> str:
    """A Tesseract language code as the two-letter code hOCR's ``lang`` takes."""
    return {"eng": "en", "deu": "de", "fra": "fr", "spa": "es", "ita": "it", "nld": "nl", "por": "pt"}.get(code, code)
