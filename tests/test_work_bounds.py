"""Work and memory bounded by design: decode work (JPEG scans, TIFF frames, thin images), beam work,
over-wide lines on a page, noise pages, and the tracebacks that became one-line answers."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image

from ocrlite.cli import main
from ocrlite.inputs.images import MAX_JPEG_SCANS, ImageLoadError, array_to_gray, decode_gray


def _jpeg(size=(200, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("L", size, 255).save(buf, "JPEG")
    return buf.getvalue()


def test_a_jpeg_with_more_scans_than_a_photo_has_is_refused_before_decoding():
    data = _jpeg()
    comment = b"\xff\xda" * (MAX_JPEG_SCANS + 50)
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    hostile = data[:2] + segment + data[2:]
    with pytest.raises(ImageLoadError, match="scans"):
        decode_gray(hostile, "scans.jpg")
    assert decode_gray(data, "ok.jpg").shape == (40, 200)


def test_a_tiff_with_a_long_frame_chain_is_read_at_its_first_frame_without_counting_them():
    frames = [Image.new("L", (8, 8), 255) for _ in range(3000)]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:])
    start = time.perf_counter()
    with pytest.warns(UserWarning, match="several frames"):
        gray = decode_gray(buf.getvalue(), "chain.tif")
    assert gray.shape == (8, 8) and time.perf_counter() - start < 5  # counting 3,000 IFDs is what is avoided


def test_an_image_thinner_than_any_line_or_page_is_refused_from_its_header():
    buf = io.BytesIO()
    Image.new("L", (200_000, 1), 255).save(buf, "PNG")
    with pytest.raises(ImageLoadError, match="neither a text line nor a page"):
        decode_gray(buf.getvalue(), "thin.png")


def test_beam_work_is_bounded_on_request():
    import ocrlite
    from ocrlite.recognition.decode import DecodeBudgetError

    reader = ocrlite.load()
    line = np.full((32, 800), 255, np.uint8)
    reader.set_decoder("beam", beam_width=128)
    reader.max_beam_work = 100_000
    with pytest.raises(DecodeBudgetError, match="narrower beam"):
        reader.predict([line] * 8)
    reader.set_decoder("beam", beam_width=4)
    assert len(reader.predict([line] * 8)) == 8


def test_a_page_line_wider_than_the_model_takes_is_read_in_pieces():
    import cv2

    import ocrlite
    from ocrlite.pages.long_lines import read_crops, split_crop

    reader = ocrlite.load()
    line = np.full((40, 9000), 255, np.uint8)
    for k in range(60):
        cv2.putText(line, "TOTAL 12.30", (k * 150, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2)
    pieces = split_crop(line, reader.preprocess)
    assert len(pieces) > 1 and sum(p.shape[1] for p in pieces) == line.shape[1]
    (pred,) = read_crops(reader, [line], 32)
    assert pred.text.count("TOTAL") >= 40 and len(pred.char_confidences) == len(pred.text)


def test_a_noise_page_yields_a_bounded_number_of_lines():
    from ocrlite.pages.finder import MAX_PAGE_LINES, find_lines

    rng = np.random.default_rng(0)
    noise = np.where(rng.random((1500, 1500)) < 0.04, 0, 255).astype(np.uint8)
    assert len(find_lines(noise).lines) <= MAX_PAGE_LINES


def test_float_images_a_rounding_step_above_one_are_not_read_as_black():
    image = np.full((20, 60), 1.0000002, np.float64)
    image[5:15, 10:50] = 0.0
    gray = array_to_gray(image)
    assert gray[0, 0] == 255 and gray[10, 20] == 0


def test_utf16_and_nul_label_files_are_answers_not_tracebacks(tmp_path, line_images):
    from ocrlite.datasets.line_sets import read_label_set

    line_images[0][0].save(tmp_path / "a.png")
    (tmp_path / "labels.tsv").write_bytes(f"a.png\t{line_images[0][1]}\n".encode("utf-16"))
    lines, _ = read_label_set(tmp_path)
    assert lines[0].text == line_images[0][1]
    (tmp_path / "labels.tsv").write_bytes(b"a\x00.png\tx\na.png\ty\n")
    lines, report = read_label_set(tmp_path)
    assert [ln.text for ln in lines] == ["y"] and "NUL byte" in report.summary()


def test_torch_recognizer_load_with_wrong_arguments_says_what_it_wants():
    pytest.importorskip("torch")
    from ocrlite.api.torch_recognizer import Recognizer

    with pytest.raises(TypeError, match="checkpoint path"):
        Recognizer.load(123)
    with pytest.raises(ValueError, match="not a torch device"):
        Recognizer.load(None, device="bogus")


def test_serve_refuses_a_timeout_that_would_overflow(capsys):
    pytest.importorskip("fastapi")
    assert main(["serve", "--timeout", "1e10"]) == 2
    assert "--timeout must be a number of seconds" in capsys.readouterr().err
