"""Training batches: synthetic (and optionally real) lines, bucketed by width, as an IterableDataset.

Sample ``i`` is a pure function of ``(seed, i)``. Samples are grouped in chunks of
``batches_per_chunk × batch_size`` consecutive indices; a chunk is sorted by width and cut
into batches (so padding is small), and the batches are shuffled. Chunk ``c`` belongs to
stream ``c mod (ranks × workers)``; the DataLoader interleaves its workers' streams, so the
global batch order depends only on the seed, the batch size and the worker/rank counts.
That makes ``--resume`` exact: :class:`BatchStream` can start at any step.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from ocrlite.recognition.charset import Charset
from ocrlite.datasets.line_sets import LabeledLine
from ocrlite.inputs.images import ImageLoadError
from ocrlite.recognition.preprocess import ImageTooWideError, PreprocessConfig, collate_images, prepare
from ocrlite.synth.generator import GeneratorConfig, LineGenerator


class SyntheticSampleWarning(UserWarning):
    """A synthetic draw raised and was skipped (see :meth:`BatchStream.sample`)."""


@dataclass
class Batch:
    """A padded batch.

    Attributes:
        images: ``(B, 1, H, W)`` float32, normalised.
        widths: each image's width before batch padding.
        texts: labels.
        case_folded: per line, True if its label's case says nothing about the image (see
            :func:`ocrlite.datasets.line_sets.labels_look_case_folded`); the loss then accepts either case.
    """

    images: torch.Tensor
    widths: list[int]
    texts: list[str]
    case_folded: list[bool] | None = None


def collate_batch(items: list[tuple[np.ndarray, str, bool]]) -> Batch:
    """``[(prepared (H, w_i), text, case_folded)] → Batch`` (pads to the widest)."""
    array, widths = collate_images([item[0] for item in items])
    return Batch(torch.from_numpy(array), widths, [item[1] for item in items], [item[2] for item in items])


def ctc_feasible(text: str, width: int, width_stride: int = 4) -> bool:
    """CTC needs ``T ≥ len(text) + number of adjacent repeats``."""
    repeats = sum(a == b for a, b in zip(text, text[1:]))
    return 0 < len(text) and len(text) + repeats <= width // width_stride


class BatchStream(IterableDataset):
    """Endless stream of width-bucketed training batches (see module docstring).

    Args:
        charset: label characters.
        preprocess: image preparation (height etc.).
        generator_config: synthetic generator settings.
        seed: data seed.
        batch_size: lines per batch.
        max_width: lines wider than this after resizing are dropped (never squashed).
        real: real labelled lines to mix in.
        synth_ratio: fraction of samples that are synthetic (1.0 = synthetic only).
        rank, world_size: this process's place among data-parallel processes.
        start_step: first global batch to produce (for resume).
        num_workers: DataLoader workers (0 = main process); must match the DataLoader.
        batches_per_chunk: batches per width-sorted chunk.
    """

    def __init__(
        self, charset: Charset, preprocess: PreprocessConfig, generator_config: GeneratorConfig, seed: int,
        batch_size: int, max_width: int = 1024, real: list[LabeledLine] | None = None, synth_ratio: float = 1.0,
        rank: int = 0, world_size: int = 1, start_step: int = 0, num_workers: int = 0, batches_per_chunk: int = 32,
    ) -> None:
        super().__init__()
        self.charset, self.preprocess, self.generator_config = charset, preprocess, generator_config
        self.seed, self.batch_size, self.max_width = seed, batch_size, max_width
        self.real = real or []
        self.synth_ratio = synth_ratio if self.real else 1.0
        self.rank, self.world_size = rank, world_size
        self.start_step, self.num_workers = start_step, max(num_workers, 1)
        self.batches_per_chunk = batches_per_chunk
        self._generator: LineGenerator | None = None

    @property
    def generator(self) -> LineGenerator:
        if self._generator is None:  # built lazily, inside each worker process
            self._generator = LineGenerator(self.charset, self.generator_config)
        return self._generator

    def sample(self, index: int) -> tuple[np.ndarray, str, bool] | None:
        """Prepared image, label and case-folded flag of global sample ``index``, or ``None`` if unusable."""
        case_folded = False
        if self.real and np.random.default_rng([self.seed, index, 1]).random() >= self.synth_ratio:
            line = self.real[int(np.random.default_rng([self.seed, index, 2]).integers(len(self.real)))]
            try:
                gray, text, case_folded = line.load(), line.text, line.case_folded
            except ImageLoadError:
                return None
        else:
            try:
                gray, text = self.generator.generate(self.seed, index)
            except Exception as error:  # noqa: BLE001 — one bad draw must not end a day-long run
                # Sample `index` is a pure function of (seed, index): skipping it keeps resume exact, and
                # the warning names what reproduces it (`LineGenerator(...).generate(seed, index)`). A
                # generator that fails every draw still ends the run: its chunk has no usable samples.
                warnings.warn(f"synthetic sample {index} (seed {self.seed}) skipped: "
                              f"{type(error).__name__}: {error}", SyntheticSampleWarning, stacklevel=2)
                return None
        try:
            image = prepare(gray, self.preprocess)
        except (ImageTooWideError, ValueError):
            return None
        if image.shape[1] > self.max_width or not ctc_feasible(text, image.shape[1]):
            return None
        return image, text, case_folded

    def chunk_batches(self, chunk: int) -> list[Batch]:
        """All batches of chunk ``chunk``, in their (seeded) shuffled order."""
        size = self.batch_size * self.batches_per_chunk
        items = [s for i in range(chunk * size, (chunk + 1) * size) if (s := self.sample(i)) is not None]
        items.sort(key=lambda s: s[0].shape[1])
        # Always exactly batches_per_chunk batches (dropped samples just shrink them), so that
        # resuming can skip whole chunks without rendering them.
        n_batches = self.batches_per_chunk
        if len(items) < n_batches:
            raise RuntimeError(f"chunk {chunk}: only {len(items)} usable samples of {size}; check the --train-data "
                               f"images (unreadable ones are skipped), the 'synthetic sample ... skipped' warnings, "
                               f"--synth-ratio, the fonts and --max-width")
        bounds = np.linspace(0, len(items), n_batches + 1).round().astype(int)
        batches = [collate_batch(items[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
        order = np.random.default_rng([self.seed, chunk, 3]).permutation(len(batches))
        return [batches[i] for i in order]

    def __iter__(self):
        info = get_worker_info()
        worker = info.id if info is not None else 0
        workers = self.num_workers
        # Batch k of the global order comes from stream k % workers. A new DataLoader asks
        # worker 0 first, so worker w now plays the stream of global batch start_step + w.
        role = (worker + self.start_step) % workers
        first_local = (self.start_step - role + workers - 1) // workers if self.start_step > role else 0
        streams = self.world_size * workers
        stream = self.rank * workers + role
        local = 0
        chunk_no = 0
        while True:
            chunk = chunk_no * streams + stream
            chunk_no += 1
            if local + self.batches_per_chunk <= first_local:  # wholly before the resume point
                local += self.batches_per_chunk
                continue
            batches = self.chunk_batches(chunk)
            for b in batches:
                if local >= first_local:
                    yield b
                local += 1
