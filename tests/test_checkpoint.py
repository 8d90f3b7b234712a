"""One-file checkpoints: identical logits after a round trip, clear errors for bad files."""

import os
import pickle

import pytest
import torch

from ocrlite.recognition.charset import Charset
from ocrlite.nn.checkpoint import CheckpointError, atomic_save, checkpoint_dict, load_checkpoint
from ocrlite.nn.crnn import build_model
from ocrlite.api.torch_recognizer import Recognizer
from ocrlite.nn.torch_engine import fuse_conv_bn
from ocrlite.recognition.preprocess import PreprocessConfig

from helpers import save_tiny_checkpoint, tiny_config


@pytest.mark.parametrize("backbone", ["mobilenet", "shufflenet", "xception"])
def test_save_load_identical_logits(tmp_path, tiny_charset, backbone):
    path = tmp_path / "m.pt"
    model, _ = save_tiny_checkpoint(path, tiny_charset, backbone)
    loaded = load_checkpoint(path)
    x = torch.randn(2, 1, 32, 96)
    with torch.no_grad():
        assert torch.equal(model(x), loaded.model(x))
    assert loaded.charset == tiny_charset and loaded.preprocess == PreprocessConfig()
    raw = torch.load(path, weights_only=True)  # a plain dict: safe loading works
    assert raw["format"] == "ocrlite" and raw["charset"] == tiny_charset.chars


def test_fp16_storage_restores_fp32(tmp_path, tiny_charset):
    torch.manual_seed(0)
    cfg = tiny_config("mobilenet", tiny_charset)
    model = build_model(cfg).eval()
    atomic_save(checkpoint_dict(model, cfg, tiny_charset, PreprocessConfig(), half=True), tmp_path / "h.pt")
    loaded = load_checkpoint(tmp_path / "h.pt")
    assert all(p.dtype == torch.float32 for p in loaded.model.parameters())
    x = torch.randn(1, 1, 32, 64)
    with torch.no_grad():
        assert torch.allclose(model(x), loaded.model(x), atol=5e-2)


def test_fused_model_gives_same_logits(tmp_path, tiny_charset):
    for backbone in ("mobilenet", "xception", "squeezenet"):
        model, _ = save_tiny_checkpoint(tmp_path / f"{backbone}.pt", tiny_charset, backbone)
        fused = fuse_conv_bn(load_checkpoint(tmp_path / f"{backbone}.pt").model)
        x = torch.randn(1, 1, 32, 64)
        with torch.no_grad():
            assert torch.allclose(model(x), fused(x), atol=1e-4)


def _expect(path, pattern):
    with pytest.raises(CheckpointError, match=pattern) as err:
        load_checkpoint(path)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_bad_files_get_clear_errors(tmp_path, tiny_charset):
    _expect(tmp_path / "missing.pt", "no such")
    (tmp_path / "empty.pt").write_bytes(b"")
    _expect(tmp_path / "empty.pt", "empty")
    (tmp_path / "random.pt").write_bytes(os.urandom(3000))
    _expect(tmp_path / "random.pt", "not an ocrlite checkpoint")
    save_tiny_checkpoint(tmp_path / "good.pt", tiny_charset)
    data = (tmp_path / "good.pt").read_bytes()
    (tmp_path / "trunc.pt").write_bytes(data[: len(data) // 2])
    _expect(tmp_path / "trunc.pt", "truncated|not an ocrlite")
    torch.save({"state_dict": {}}, tmp_path / "other.pt")
    _expect(tmp_path / "other.pt", "not an ocrlite checkpoint")


class _RunsCode:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_pickle_that_runs_code_is_refused(tmp_path):
    torch.save({"format": "ocrlite", "payload": _RunsCode()}, tmp_path / "evil.pt")
    _expect(tmp_path / "evil.pt", "refused")
    with open(tmp_path / "evil.pkl", "wb") as f:
        pickle.dump(_RunsCode(), f)
    _expect(tmp_path / "evil.pkl", "refused|not an ocrlite")


def test_newer_format_and_inconsistent_head(tmp_path, tiny_charset):
    save_tiny_checkpoint(tmp_path / "m.pt", tiny_charset)
    ck = torch.load(tmp_path / "m.pt", weights_only=True)
    torch.save({**ck, "format_version": 99}, tmp_path / "new.pt")
    _expect(tmp_path / "new.pt", "newer")
    torch.save({**ck, "charset": ck["charset"][:-3]}, tmp_path / "head.pt")
    _expect(tmp_path / "head.pt", "charset has .* characters")


def test_recognizer_api_on_images_and_paths(tmp_path, tiny_charset, line_images):
    save_tiny_checkpoint(tmp_path / "m.pt", tiny_charset)
    rec = Recognizer.load(tmp_path / "m.pt")
    image, _ = line_images[0]
    image.save(tmp_path / "a.png")
    preds = rec.predict([image, tmp_path / "a.png", str(tmp_path / "a.png")])
    assert len(preds) == 3 and preds[0].text == preds[1].text == preds[2].text
    assert all(0.0 <= p.confidence <= 1.0 for p in preds)
    assert Charset(tiny_charset.chars) == rec.charset
