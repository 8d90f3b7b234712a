"""Where the files ocrlite ships with live: inside the package, found with ``importlib.resources``.

``ocrlite/models/`` holds the default and fast models (``.onnx`` for the inference install, ``.pt``
for the torch engine and fine-tuning); ``ocrlite/data/fonts/`` the font library with its licences;
``ocrlite/data/corpus/`` the texts the generator draws, with their sources and licences. Each
folder can be pointed elsewhere by an environment variable (and each command has an option):

========================  ===========================  ==============================
folder                    environment variable          option
========================  ===========================  ==============================
models                    ``OCRLITE_WEIGHTS_DIR``       ``--weights FILE``
fonts                     ``OCRLITE_FONTS_DIR``         ``--fonts DIR``
texts                     ``OCRLITE_CORPUS_DIR``        ``--corpus``, ``--prose``, ``--terms``, ``--languages``
========================  ===========================  ==============================

In a source checkout, ``weights/`` beside the package also holds the backbone-comparison
checkpoints and the model card; they are not part of the wheel.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

#: The installed package folder (a real folder: wheels are installed unzipped).
PACKAGE_DIR = Path(str(files("ocrlite")))


def _folder(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value) if value else default


MODELS_DIR = _folder("OCRLITE_WEIGHTS_DIR", PACKAGE_DIR / "models")
FONTS_DIR = _folder("OCRLITE_FONTS_DIR", PACKAGE_DIR / "data" / "fonts")
CORPUS_DIR = _folder("OCRLITE_CORPUS_DIR", PACKAGE_DIR / "data" / "corpus")
#: The repository's extra checkpoints (only in a source checkout).
REPO_WEIGHTS_DIR = PACKAGE_DIR.parent / "weights"
