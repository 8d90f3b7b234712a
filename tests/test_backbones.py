"""The backbone contract, for every registered backbone."""

import pytest
import torch

from ocrlite.nn.backbones import BACKBONES, build_backbone, list_backbones
from ocrlite.recognition.charset import Charset
from ocrlite.nn.crnn import ModelConfig, build_model, count_parameters
from ocrlite.utils.registry import Registry


@pytest.mark.parametrize("name", list_backbones())
@pytest.mark.parametrize("in_channels", [1, 3])
def test_output_shape_and_channels(name, in_channels):
    torch.manual_seed(0)
    net = build_backbone(name, in_channels=in_channels).eval()
    for height in (32, 48):
        for width in (16, 100, 256, 644):
            with torch.no_grad():
                y = net(torch.randn(2, in_channels, height, width))
            assert y.shape == (2, net.out_channels, 1, width // 4), (height, width)
            assert net.output_length(width) == width // 4
            assert torch.isfinite(y).all()


@pytest.mark.parametrize("name", list_backbones())
def test_very_wide_line(name):
    net = build_backbone(name).eval()
    with torch.no_grad():
        y = net(torch.randn(1, 1, 32, 4000))
    assert y.shape == (1, net.out_channels, 1, 1000)


@pytest.mark.parametrize("name", list_backbones())
def test_whole_model_parameter_budget(name):
    model = build_model(ModelConfig(name, Charset.default().num_classes))
    assert count_parameters(model) <= 6_000_000
    logits = model.eval()(torch.randn(1, 1, 32, 128))
    assert logits.shape == (1, 32, Charset.default().num_classes)


@pytest.mark.parametrize("name", list_backbones())
def test_width_multiplier_changes_size(name):
    small = count_parameters(build_backbone(name, width_mult=0.25))
    large = count_parameters(build_backbone(name, width_mult=1.0))
    assert small < large


def test_registry_lists_all_five():
    assert set(list_backbones()) == {"squeezenet", "mobilenet", "mobilenet_v2", "shufflenet", "xception"}


def test_unknown_backbone_lists_valid_names():
    with pytest.raises(ValueError, match="mobilenet_v2") as err:
        build_backbone("resnet")
    assert "resnet" in str(err.value)


def test_duplicate_registration_is_refused():
    reg: Registry[object] = Registry("thing")
    reg.register("a")(lambda: 1)
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a")(lambda: 2)
    assert BACKBONES.names() == list_backbones()
