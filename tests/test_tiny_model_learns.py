"""Every backbone's CRNN can memorise 8 rendered lines: gradients flow end to end."""

import pytest
import torch

from ocrlite.nn.backbones import list_backbones
from ocrlite.recognition.metrics import score
from ocrlite.nn.crnn import build_model

from helpers import fit_until_exact, tiny_config


@pytest.mark.parametrize("name", list_backbones())
def test_overfits_eight_lines_to_cer_zero(name, tiny_charset, line_images):
    """Memorised within a bounded budget (1,500 steps; most backbones need 300-500) on any CPU."""
    torch.manual_seed(0)
    model = build_model(tiny_config(name, tiny_charset))
    preds, steps = fit_until_exact(model, tiny_charset, line_images, max_steps=1500)
    truths = [t for _, t in line_images]
    assert score(preds, truths).cer == 0.0, (steps, list(zip(preds, truths)))
