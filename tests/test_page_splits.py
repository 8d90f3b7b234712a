"""The learned reader's two box repairs: stacked lines in one box are cut apart before reading
(:mod:`ocrlite.pages.stacked`), a read line is cut into cells at gaps far wider than its word spaces
(:mod:`ocrlite.pages.cells`); and fine-tuning a detector run from another run's checkpoint."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ocrlite.detection.postprocess import order_corners
from ocrlite.pages.cells import cell_groups, split_cells
from ocrlite.pages.learned import CROP_PAD_ACROSS, CROP_PAD_ALONG, crop_to_page, cut_line, cut_lines, read_page_learned
from ocrlite.pages.stacked import split_stacked
from ocrlite.pages.words import Word
from ocrlite.recognition.decode import Prediction


def _receipt():
    from ocrlite.synth.pages import PageRenderer

    return PageRenderer().render(np.random.default_rng(3), layout="receipt", skew=0.0, degrade=False)


def _box(points: np.ndarray) -> np.ndarray:
    return order_corners(cv2.boxPoints(cv2.minAreaRect(points.astype(np.float32))))


def _header(page):
    """The receipt's first two header lines (one above the other) and the box around both."""
    (t1, q1), (t2, q2) = page.lines[0], page.lines[1]
    return (t1, q1), (t2, q2), _box(np.concatenate([q1, q2]))


def test_a_box_around_two_stacked_lines_is_cut_into_them():
    page = _receipt()
    (_, q1), (_, q2), both = _header(page)
    gray = page.image
    lines = split_stacked(cut_line(gray, both, 0.0), crop_to_page(both, 0.0))
    assert len(lines) == 2
    for found, truth in zip(lines, (q1, q2)):
        centre_y = truth[:, 1].mean()
        assert found[:, 1].min() < centre_y < found[:, 1].max()
        assert found[:, 0].min() <= truth[:, 0].min() + 2 and found[:, 0].max() >= truth[:, 0].max() - 2
    single = _box(q1)
    assert split_stacked(cut_line(gray, single, 0.0), crop_to_page(single, 0.0)) == []


def test_cutting_the_page_gives_one_crop_per_line_with_room_at_its_ends():
    page = _receipt()
    (_, q1), (_, q2), both = _header(page)
    single = _box(q1)
    boxes, crops = cut_lines(page.image, [both, single])
    assert len(boxes) == len(crops) == 3  # the stacked box as its two lines, then the single line
    for box, crop in zip(boxes, crops):
        length, height = np.hypot(*(box[1] - box[0])), np.hypot(*(box[3] - box[0]))
        assert crop.shape[0] == pytest.approx(height * (1 + 2 * CROP_PAD_ACROSS), abs=1)
        assert crop.shape[1] == pytest.approx(length + 2 * CROP_PAD_ALONG * height, abs=1)
    np.testing.assert_array_equal(crops[2], cut_line(page.image, single))


class _Detector:
    def __init__(self, boxes):
        self.boxes = boxes

    def detect(self, gray):
        return list(self.boxes), [1.0] * len(self.boxes)


def test_the_learned_reader_reads_both_stacked_lines():
    import ocrlite

    page = _receipt()
    (t1, _), (t2, _), both = _header(page)
    found, _, rotation = read_page_learned(ocrlite.load(threads=1), _Detector([both]), page.image)
    assert rotation == 0
    read = [" ".join(p.text.split()) for _, p, _, _ in found]
    assert len(read) == 2, read
    from ocrlite.recognition.metrics import edit_distance

    for truth, text in zip((t1, t2), read):
        truth = " ".join(truth.split())
        assert edit_distance(truth, text) <= 0.2 * len(truth), (read, t1, t2)


def _word(text: str, x0: float, x1: float, height: float = 20.0) -> Word:
    return Word(text, np.array([[x0, 10], [x1, 10], [x1, 10 + height], [x0, 10 + height]], np.float64), 0.9)


def _line(words: list[Word]) -> tuple:
    text = " ".join(w.text for w in words)
    corners = np.array([[-4, 6], [words[-1].corners[1, 0] + 4, 6], [words[-1].corners[1, 0] + 4, 34], [-4, 34]],
                       np.float32)
    pred = Prediction(text, 0.9, [0.5 + 0.01 * i for i in range(len(text))], [(i, i + 1) for i in range(len(text))])
    return corners, pred, words, np.array([[-4, 30], [corners[1, 0], 30]], np.float32)


def test_a_row_is_cut_into_cells_only_at_gaps_far_wider_than_its_spaces():
    row = [_word("TOTAL", 0, 60), _word("RM", 70, 95), _word("12.00", 200, 260)]
    assert cell_groups(_line(row)[0], row) == [[0, 1], [2]]
    spaced = [_word(w, 45 * i, 45 * i + 30) for i, w in enumerate("WIDE SPACED HEADING HERE".split())]
    assert cell_groups(_line(spaced)[0], spaced) == [[0, 1, 2, 3]]  # every space alike: one line
    close = [_word("1", 0, 10), _word("X", 30, 40), _word("8.02", 60, 100)]
    assert cell_groups(_line(close)[0], close) == [[0, 1, 2]]  # gaps of one text height: not cells

    line = _line(row)
    cells = split_cells(line)
    assert [c[1].text for c in cells] == ["TOTAL RM", "12.00"]
    pred = line[1]
    assert cells[0][1].char_confidences == pred.char_confidences[:8]
    assert cells[1][1].char_confidences == pred.char_confidences[9:]
    assert cells[1][1].char_frames == pred.char_frames[9:]
    assert cells[1][1].confidence == pytest.approx(np.mean(pred.char_confidences[9:]))
    (a, _, _, base_a), (b, _, _, base_b) = cells
    assert a[0, 0] == pytest.approx(-4) and a[1, 0] < 200 - 20  # the first cell ends short of the second
    assert b[0, 0] > 95 + 20 and b[1, 0] == pytest.approx(line[0][1, 0])
    assert base_b[0, 0] == pytest.approx(b[0, 0]) and base_b[0, 1] == pytest.approx(30)
    assert len(split_cells(_line(spaced))) == 1


def test_a_detector_run_fine_tunes_from_another_runs_checkpoint(tmp_path):
    import torch

    from ocrlite.training.detector_trainer import DetectorTrainConfig, DetectorTrainer, train_detector

    def cfg(out, **kw):
        return DetectorTrainConfig(out=str(out), width_mult=0.25, neck_channels=16, steps=2, batch_size=2, crop=96,
                                   warmup=1, val_every=100, save_every=1, val_pages=1, workers=0, threads=1, **kw)

    train_detector(cfg(tmp_path / "base"))
    base = torch.load(tmp_path / "base" / "last.pt", weights_only=True)
    # --width-mult / --neck-channels of the new run give way to the checkpoint's network
    tuned = DetectorTrainer(DetectorTrainConfig(out=str(tmp_path / "tuned"), steps=2, batch_size=2, crop=96, warmup=1,
                                                val_every=100, save_every=1, val_pages=1, workers=0, threads=1,
                                                init=str(tmp_path / "base" / "last.pt")))
    assert tuned.model.config.width_mult == 0.25 and tuned.step == 0
    state = tuned.model.state_dict()
    assert all(torch.equal(state[k], base["state_dict"][k]) for k in state)
    tuned.run()
    assert torch.load(tmp_path / "tuned" / "last.pt", weights_only=True)["resume"]["step"] == 2
    with pytest.raises(ValueError, match="--init"):
        DetectorTrainer(cfg(tmp_path / "bad", init=str(tmp_path / "missing.pt")))


def test_which_way_is_up_weighs_characters_not_boxes():
    """A box that reads as nothing (blank frames, confidently) or one stray mark counts for little beside a
    line of text when a sample of lines is read both ways."""
    from ocrlite.pages.learned import _reading_confidence

    text = Prediction("TOTAL 12.30", 0.6, [0.6] * 11)
    blank = Prediction("", 0.95, [])
    mark = Prediction("~", 0.2, [0.2])
    assert _reading_confidence([text, blank]) == pytest.approx(0.6)
    assert _reading_confidence([text, mark]) == pytest.approx((0.6 * 11 + 0.2) / 12)
    assert _reading_confidence([blank]) == 0.0
