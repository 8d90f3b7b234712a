"""One recognition thread per server process: requests that arrive together are read as one batch.

The event loop never runs the model. Request handlers :meth:`Batcher.submit` prepared line images
and await the returned future; the thread takes every job waiting at that moment, groups them by
decoder options, and reads each group with :meth:`~ocrlite.recognition.reader.BaseRecognizer.predict_sorted`
(width-sorted batches, as the CLI reads a folder). No job waits for a batch to fill: an idle server
answers a lone request at once, a busy one reads larger batches.
"""

from __future__ import annotations

import queue
import threading
from collections import defaultdict
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from ocrlite.recognition.decode import Prediction, check_beam_work
from ocrlite.recognition.reader import BaseRecognizer


@dataclass(frozen=True)
class DecoderOptions:
    """Per-request decoding, as ``predict``'s options (see :meth:`BaseRecognizer.set_decoder`)."""

    decoder: str = "greedy"
    beam_width: int = 8
    allow: str | None = None
    block: str | None = None
    ascii: bool = False
    strip_accents: bool = False


@dataclass
class _Job:
    images: list[np.ndarray]  # prepared lines, each (H, W) float32
    options: DecoderOptions
    future: Future = field(default_factory=Future)


@dataclass
class BatchStats:
    """What the thread has done (``GET /healthz``)."""

    batches: int = 0
    jobs: int = 0
    lines: int = 0
    largest_batch_lines: int = 0
    largest_batch_jobs: int = 0


class BatcherClosed(RuntimeError):
    """The server is shutting down."""


class Batcher:
    """Owns ``recognizer`` and reads submitted jobs on its own thread.

    Args:
        recognizer: the process's recognizer; only this thread touches it after :meth:`start`.
        batch_size: lines per model batch.
        max_lines: lines taken into one round (several model batches); later jobs wait for the next round.
    """

    def __init__(self, recognizer: BaseRecognizer, batch_size: int = 32, max_lines: int = 256,
                 max_beam_work: int | None = None) -> None:
        self.recognizer = recognizer
        self.max_beam_work = max_beam_work
        self.batch_size = batch_size
        self.max_lines = max_lines
        self.stats = BatchStats()
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="ocrlite-recognizer", daemon=True)

    def start(self) -> Batcher:
        self._thread.start()
        return self

    def close(self, timeout: float = 10.0) -> None:
        """Stop taking jobs, finish the round in progress, fail what is still queued."""
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout)

    def submit(self, images: list[np.ndarray], options: DecoderOptions) -> Future:
        """Queue prepared lines; the future gets their predictions in the same order.

        Cancelling the future before its round starts drops the job (a request that timed out).
        The number of jobs is bounded by the caller (the server's admission limit).
        """
        if self._closed:
            raise BatcherClosed("the server is shutting down")
        if options.decoder == "beam":
            check_beam_work(options.beam_width, sum(im.shape[1] // self.recognizer.width_stride for im in images),
                            self.max_beam_work)
        job = _Job(images, options)
        self._queue.put(job)
        return job.future

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                break
            jobs, lines = [first], len(first.images)
            while lines < self.max_lines:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self._closed = True
                    break
                jobs.append(job)
                lines += len(job.images)
            self._read_round(jobs)
            if self._closed:
                break
        self._fail_queued()

    def _read_round(self, jobs: list[_Job]) -> None:
        groups: dict[DecoderOptions, list[_Job]] = defaultdict(list)
        for job in jobs:
            if job.future.set_running_or_notify_cancel():  # False: cancelled while it waited
                groups[job.options].append(job)
        for options, group in groups.items():
            prepared = [image for job in group for image in job.images]
            try:
                self.recognizer.set_decoder(options.decoder, options.beam_width, None, options.allow, options.block,
                                            options.ascii, options.strip_accents)
                predictions: list[Prediction] = self.recognizer.predict_sorted(prepared, self.batch_size)
            except Exception as err:  # noqa: BLE001 - reported to each request; the thread goes on
                for job in group:
                    job.future.set_exception(err)
                continue
            start = 0
            for job in group:
                job.future.set_result(predictions[start : start + len(job.images)])
                start += len(job.images)
            self.stats.batches += 1
            self.stats.jobs += len(group)
            self.stats.lines += len(prepared)
            self.stats.largest_batch_lines = max(self.stats.largest_batch_lines, len(prepared))
            self.stats.largest_batch_jobs = max(self.stats.largest_batch_jobs, len(group))

    def _fail_queued(self) -> None:
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None and job.future.set_running_or_notify_cancel():
                job.future.set_exception(BatcherClosed("the server is shutting down"))
