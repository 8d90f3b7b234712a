"""Every backbone's CRNN can memorise 8 rendered lines: gradients flow end to end."""

import pytest
import torch

from ocrlite.backbones import list_backbones
from ocrlite.metrics import score
from ocrlite.model import build_model

from helpers import fit_lines, tiny_config


@pytest.mark.parametrize("name", list_backbones())
def test_overfits_eight_lines_to_cer_zero(name, tiny_charset, line_images):
    torch.manual_seed(0)
    model = build_model(tiny_config(name, tiny_charset))
    preds = fit_lines(model, tiny_charset, line_images, steps=400)
    truths = [t for _, t in line_images]
    assert score(preds, truths).cer == 0.0, list(zip(preds, truths))
