"""One preprocessing path for every PIL mode, EXIF orientation, aspect ratio kept."""

import io

import numpy as np
import pytest
from PIL import Image

from ocrlite.recognition.preprocess import ImageTooWideError, PreprocessConfig, collate_images, prepare, to_grayscale


def _line(mode: str) -> Image.Image:
    gray = np.full((20, 80), 230, np.uint8)
    gray[5:15, 10:70] = 20
    base = Image.fromarray(gray)
    if mode == "RGBA":
        rgba = Image.new("RGBA", base.size, (0, 0, 0, 0))  # transparent background, opaque black text
        rgba.paste((0, 0, 0, 255), (10, 5, 70, 15))
        return rgba
    if mode == "I;16":
        return Image.fromarray((gray.astype(np.uint16) * 257))
    return base.convert(mode)


@pytest.mark.parametrize("mode", ["L", "1", "P", "RGB", "RGBA", "LA", "CMYK", "I;16", "I", "F", "YCbCr"])
def test_every_mode_gives_dark_text_on_light_background(mode):
    gray = to_grayscale(_line(mode))
    assert gray.dtype == np.uint8 and gray.shape == (20, 80)
    assert gray[10, 40] < 80 and gray[1, 1] > 180, (gray[10, 40], gray[1, 1])


def test_exif_orientation_is_applied():
    image = Image.new("L", (80, 20), 255)
    image.paste(0, (0, 0, 10, 20))  # dark block on the left
    rotated = image.rotate(90, expand=True)  # stored sideways ...
    exif = Image.Exif()
    exif[0x0112] = 6  # ... tagged "rotate 90° clockwise to view", which undoes the CCW turn
    buf = io.BytesIO()
    rotated.save(buf, format="JPEG", exif=exif.tobytes())
    gray = to_grayscale(Image.open(io.BytesIO(buf.getvalue())))
    assert gray.shape == (20, 80)
    assert gray[:, :10].mean() < 60 and gray[:, -10:].mean() > 200


def test_aspect_kept_and_width_multiple_of_four():
    cfg = PreprocessConfig(height=32)
    out = prepare(Image.new("L", (1000, 20), 255), cfg)
    assert out.shape == (32, 1600) and out.dtype == np.float32
    out = prepare(Image.new("L", (33, 20), 255), cfg)
    assert out.shape[0] == 32 and out.shape[1] % 4 == 0 and out.shape[1] >= 52
    assert prepare(Image.new("L", (1, 1), 0), cfg).shape == (32, 32)
    assert prepare(Image.new("L", (3, 200), 0), cfg).shape == (32, 16)
    assert prepare(Image.new("L", (40, 40), 0), PreprocessConfig(height=48)).shape == (48, 48)


def test_width_scale_stretches_after_the_height_resize():
    image = Image.new("L", (1000, 20), 255)
    assert prepare(image, PreprocessConfig(width_scale=1.2)).shape == (32, 1920)
    assert prepare(image, PreprocessConfig(width_scale=0.5)).shape == (32, 800)
    # the width limit applies to the stretched line
    with pytest.raises(ImageTooWideError):
        prepare(Image.new("L", (2000, 20), 255), PreprocessConfig(width_scale=1.5))
    for bad in (0.0, -1.0, 10.0):
        with pytest.raises(ValueError, match="width_scale"):
            PreprocessConfig(width_scale=bad)


def test_normalisation_range():
    out = prepare(Image.new("L", (64, 32), 255), PreprocessConfig())
    assert np.allclose(out, 1.0)


def test_too_wide_is_refused():
    with pytest.raises(ImageTooWideError, match="split"):
        prepare(Image.new("L", (40_000, 40), 255), PreprocessConfig())


def test_collate_pads_with_each_image_background():
    cfg = PreprocessConfig()
    white = prepare(Image.new("L", (64, 32), 255), cfg)
    black = prepare(Image.new("L", (128, 32), 0), cfg)
    batch, widths = collate_images([white, black])
    assert batch.shape == (2, 1, 32, 128) and widths == [64, 128]
    assert np.allclose(batch[0, 0, :, 64:], 1.0)
