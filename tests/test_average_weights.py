"""scripts/ship/average_weights.py: the mean of checkpoints of one network, refused for different networks."""

import importlib.util
from pathlib import Path

import pytest
import torch

from ocrlite.api.torch_recognizer import Recognizer
from ocrlite.nn.checkpoint import read_checkpoint

ROOT = Path(__file__).resolve().parent.parent


def _average_module():
    spec = importlib.util.spec_from_file_location("average_weights", ROOT / "scripts" / "ship" / "average_weights.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _shifted(ck: dict, delta: float) -> dict:
    out = dict(ck)
    out["state_dict"] = {k: v + delta if v.is_floating_point() else v for k, v in ck["state_dict"].items()}
    return out


def test_the_mean_of_two_checkpoints_is_their_weighted_average_and_loads(trained_checkpoint, tmp_path, line_images):
    tool = _average_module()
    base = read_checkpoint(trained_checkpoint)
    up, down = _shifted(base, 0.5), _shifted(base, -0.5)
    soup = tool.average([up, down], [1.0, 1.0])
    for name, tensor in base["state_dict"].items():
        if tensor.is_floating_point():
            torch.testing.assert_close(soup["state_dict"][name], tensor.float(), atol=1e-5, rtol=0)
    lean = tool.average([up, down], [3.0, 1.0])  # weights are normalised: 0.75·(+0.5) + 0.25·(−0.5) = +0.25
    name = next(k for k, v in base["state_dict"].items() if v.is_floating_point())
    torch.testing.assert_close(lean["state_dict"][name], base["state_dict"][name].float() + 0.25, atol=1e-5, rtol=0)

    out = tmp_path / "soup.pt"
    assert tool.main([str(trained_checkpoint), str(trained_checkpoint), "--out", str(out)]) == 0
    preds = Recognizer.load(out).predict([im for im, _ in line_images])
    assert [p.text for p in preds] == [t for _, t in line_images]  # the mean of a model with itself is the model
    assert tool.main([str(trained_checkpoint), str(trained_checkpoint), "--out", str(out)]) == 2  # no overwrite


def test_checkpoints_of_different_networks_are_refused(trained_checkpoint):
    tool = _average_module()
    base = read_checkpoint(trained_checkpoint)
    other = dict(base)
    other["charset"] = base["charset"][:-1]
    with pytest.raises(ValueError, match="charset"):
        tool.average([base, other], [1.0, 1.0])


def test_layer_weights_mix_each_part_of_the_network_by_its_own_share(trained_checkpoint, tmp_path):
    tool = _average_module()
    base = read_checkpoint(trained_checkpoint)
    first, second = _shifted(base, 0.0), _shifted(base, 1.0)
    mix = tool.average([first, second], [1.0, 1.0], {"backbone": 0.25, "head": 1.0})
    for name, tensor in base["state_dict"].items():
        if not tensor.is_floating_point():
            continue
        expected = 0.25 if name.startswith("backbone") else 1.0 if name.startswith("head") else 0.5
        torch.testing.assert_close(mix["state_dict"][name], tensor.float() + expected, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="matches no tensor; prefixes in this network: backbone"):
        tool.average([first, second], [1.0, 1.0], {"backbon.": 0.5})
    with pytest.raises(ValueError, match="exactly two"):
        tool.average([first, second, base], [1.0, 1.0, 1.0], {"head": 0.5})

    out = tmp_path / "mix.pt"
    assert tool.main([str(trained_checkpoint), str(trained_checkpoint), "--out", str(out),
                      "--layer-weights", "backbone=0.2", "head=0.7"]) == 0
    assert read_checkpoint(out)["train"]["layer_weights"] == {"backbone": 0.2, "head": 0.7}
    with pytest.raises(SystemExit):
        tool.main([str(trained_checkpoint), str(trained_checkpoint), "--out", str(tmp_path / "bad.pt"),
                   "--layer-weights", "head=1.5"])
