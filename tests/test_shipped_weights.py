"""Every file in weights/ is a usable shipped model: small, named for its backbone, and it reads.

These check the artefacts users download, not the code that made them: a file shipped with the
wrong backbone name, a broken width scale or charset, or a half-trained run fails here.
"""

import numpy as np
import pytest
import torch

from ocrlite.nn.backbones import list_backbones
from ocrlite.nn.checkpoint import load_checkpoint
from ocrlite.recognition.metrics import score
from ocrlite.api.torch_recognizer import Recognizer
from ocrlite.synth.text import TextSampler
from ocrlite.recognition.zoo import ROLE_MODELS, shipped_checkpoints

from conftest import render_clean

MAX_FILE_BYTES = 12_000_000  # the shipped-weights issue's limit per file
#: Clean lines in three training fonts (generator v1's receipt-first text). Measured with the files of
#: issue 15: 0.3 % default (the campaign Xception, 1.19 M lines), 1.6 % fast; the
#: generator-v2 comparison (103 k lines each, its document-heavy mix and harder validation): 5.6 %
#: xception, 10.4 % squeezenet, 14.4 % mobilenet, 19.6 % mobilenet_v2, 40.3 % shufflenet (the weakest,
#: still far from its CTC plateau); a broken file (wrong charset, width scale or weights) reads near 100 %.
CLEAN_LINE_MAX_CER = 0.6
FONTS = ("DejaVuSans.ttf", "LiberationSerif-Regular.ttf", "LiberationMono-Regular.ttf")

SHIPPED = shipped_checkpoints()


@pytest.mark.skipif(not SHIPPED, reason="no weights/*.pt shipped")
@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_checkpoint_is_small_named_and_reads_clean_lines(path):
    assert path.stat().st_size <= MAX_FILE_BYTES
    loaded = load_checkpoint(path)
    assert all(p.dtype == torch.float32 for p in loaded.model.parameters())  # fp16 storage, fp32 at load
    assert loaded.config.backbone in list_backbones()
    if path.stem not in ROLE_MODELS:
        assert loaded.config.backbone == path.stem, "comparison weights are named weights/<backbone>.pt"
    assert _clean_line_cer(path) <= CLEAN_LINE_MAX_CER


def _clean_line_cer(path) -> float:
    """CER of the model at ``path`` on 60 clean rendered lines in three training fonts."""
    rec = Recognizer.load(path)
    rng = np.random.default_rng(7)
    # The receipt-first text the comparison models were trained on (generator v1's sources), so the
    # bar measures a broken file, not the models' weakness on document lines (issue 14's A/B measures that).
    v1_only = {name: 0.0 for name in ("prose", "heading", "list_item", "citation", "caption", "table_row",
                                       "footnote", "equation")}
    sampler = TextSampler(rec.charset, max_length=40, weights=v1_only)
    truths = [" ".join(sampler.sample(rng).split()) for _ in range(60)]  # labels as the generator writes them
    images = [render_clean(t, size=int(rng.integers(20, 36)), font=FONTS[i % len(FONTS)])
              for i, t in enumerate(truths)]
    predictions = [p.text for p in rec.predict(images)]
    return score(predictions, truths).cer
