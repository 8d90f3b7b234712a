"""The batch job on a Ray cluster (``ocrlite batch --engine ray``), and a callable for your own Ray Datasets.

The job: inputs are listed on the driver (folders and list files expanded, as the local engine does) into a
Dataset of file paths that each actor reads from storage every node sees (URIs — ``s3://`` and other object
stores — are read as binary files by Ray Data's ``read_binary_files``), recognised in ``map_batches`` by a
pool of actors —
:class:`ReadBatch`, each loading the model once and reading with one thread — and written as Parquet
(``write_parquet``) into ``OUT/``. Ray retries a batch whose actor died (the actor is restarted and the
batch run again), and Ray Data writes each output block once, so the output holds exactly one record per
line image or page. Records are the local engine's (:mod:`ocrlite.bulk.records`): the same text for the
same inputs.

For a Dataset you already have (image bytes in a column)::

    import ray
    from ocrlite.bulk.ray_engine import ReadBatch

    ds = ray.data.read_binary_files("s3://bucket/lines/", include_paths=True)
    records = ds.map_batches(ReadBatch, fn_constructor_kwargs={"mode": "lines"},
                             compute=ray.data.ActorPoolStrategy(size=8), batch_size=64, num_cpus=1)
    records.write_parquet("s3://bucket/results/")

Any table with a ``bytes`` column of image (or, for pages, PDF) file contents works — pandas, Arrow or a
dict of numpy arrays; a ``path`` column, when present, names each input in its record and in errors (a
table of ``path`` alone: the actor reads each file itself).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ocrlite.bulk.records import LINE_FIELDS, PAGE_FIELDS, line_record, page_record

#: Default rows per ``map_batches`` batch (line images read together; pages are read one by one).
BATCH_ROWS = 64


class ReadBatch:
    """A ``Dataset.map_batches`` callable class: a batch of file bytes → a batch of records.

    Ray creates it once per actor, so the model is loaded once per actor, not per batch.

    Args:
        mode: ``lines`` (each input is a text-line image: one record each) or ``pages`` (each is a page image
            or a PDF: one record per page).
        weights: a model file or a shipped model's name (None: the shipped default).
        detector: with pages: ``auto``, ``learned`` or ``classic``.
        dpi: with pages: PDF rendering resolution.
        threads: onnxruntime threads of this actor's reader (1: Ray runs one actor per CPU it is given).
    """

    def __init__(self, mode: str = "lines", weights: str | None = None, detector: str = "auto", dpi: float = 300.0,
                 threads: int = 1) -> None:
        from ocrlite.api import load_recognizer
        from ocrlite.pages.reader import resolve_detector

        if mode not in ("lines", "pages"):
            raise ValueError(f"mode {mode!r}: choose one of lines, pages")
        self.mode, self.dpi = mode, dpi
        self.reader = load_recognizer(weights, "auto", threads)
        self.reader.detector = resolve_detector(detector)

    def __call__(self, batch: Mapping[str, Any]):
        """``batch``: columns ``bytes`` (file contents) and optionally ``path`` (a pandas DataFrame, a pyarrow
        Table or a dict of arrays). Returns the records as a ``pyarrow.Table`` of fixed schema
        (:func:`record_schema`; a page's ``lines`` as a JSON string, as the local engine's Parquet parts), so
        every block of the output has the same columns whatever its values."""
        import pyarrow as pa

        contents, paths = _columns(batch)
        records = self._lines(contents, paths) if self.mode == "lines" else self._pages(contents, paths)
        for r in records:
            if r.get("lines") is not None:
                r["lines"] = json.dumps(r["lines"], ensure_ascii=False)
        schema = record_schema(self.mode)
        return pa.Table.from_pydict({name: [r.get(name) for r in records] for name in schema.names}, schema=schema)

    def _gray(self, data: bytes | None, path: str) -> np.ndarray:
        """The image of a row: its bytes, or (a path-only row) the file, with the CLI's decoders and limits."""
        from ocrlite.inputs.images import decode_gray, load_gray

        if data is None:
            return load_gray(path, max_pixels=self.reader.max_pixels)
        return decode_gray(data, path, self.reader.max_pixels)

    def _lines(self, contents: list[bytes | None], paths: list[str]) -> list[dict]:
        from ocrlite.inputs.images import ImageLoadError
        from ocrlite.recognition.preprocess import ImageTooWideError, prepare

        prepared, good, errors = [], [], {}
        for k, (data, path) in enumerate(zip(contents, paths)):
            try:
                prepared.append(prepare(self._gray(data, path), self.reader.preprocess))
                good.append(k)
            except (ImageLoadError, ImageTooWideError, ValueError) as err:  # as the local engine records them
                errors[k] = str(err)
        predictions = dict(zip(good, self.reader.predict_sorted(prepared, BATCH_ROWS))) if prepared else {}
        return [line_record(path, predictions.get(k), errors.get(k)) for k, path in enumerate(paths)]

    def _pages(self, contents: list[bytes | None], paths: list[str]) -> list[dict]:
        from ocrlite.inputs.images import ImageLoadError
        from ocrlite.inputs.pdf import PdfError, is_pdf, render_pages

        records = []
        for data, path in zip(contents, paths):
            if (b"%PDF-" in data[:1024]) if data is not None else is_pdf(path):
                try:
                    for rendered in render_pages(data if data is not None else path, None, self.dpi,
                                                 self.reader.max_pixels, name=path):
                        if rendered.error:
                            records.append(page_record(path, rendered.number, error=rendered.error))
                        else:
                            records.append(page_record(path, rendered.number, self._read(rendered.image)))
                except (PdfError, ValueError) as err:
                    records.append(page_record(path, None, error=str(err)))
                continue
            try:
                records.append(page_record(path, None, self._read(self._gray(data, path))))
            except ImageLoadError as err:
                records.append(page_record(path, None, error=err.reason))
            except ValueError as err:
                records.append(page_record(path, None, error=str(err)))
        return records

    def _read(self, gray: np.ndarray):
        return self.reader.read_page(gray)


def _input_dataset(ray, files: list[str], uris: list[str], blocks: int):
    """The job's inputs as a Dataset: listed files as ``path`` rows (each actor reads its files from storage
    every node sees: Ray Data's per-file metadata listing costs ~3-5 ms a file on the driver, more than reading
    a line image), URIs (``s3://``, folders Ray lists in parallel) through ``read_binary_files``. Reading is
    I/O: read tasks take no CPU slot, so the readers (one CPU each) never starve them."""
    parts = []
    if files:
        parts.append(ray.data.from_items([{"path": p} for p in files], override_num_blocks=min(blocks, len(files))))
    if uris:
        parts.append(ray.data.read_binary_files(uris, include_paths=True, num_cpus=0))
    return parts[0] if len(parts) == 1 else parts[0].union(*parts[1:])


def record_schema(mode: str):
    """The Arrow schema of a job's records: ``path``, ``page``, ``text``, ``confidence``, ``error`` (and for
    pages ``lines`` as JSON text and ``rotation``)."""
    import pyarrow as pa

    types = {"path": pa.string(), "page": pa.int64(), "text": pa.string(), "confidence": pa.float64(),
             "lines": pa.string(), "rotation": pa.int64(), "error": pa.string()}
    return pa.schema([(name, types[name]) for name in (LINE_FIELDS if mode == "lines" else PAGE_FIELDS)])


def _columns(batch: Any) -> tuple[list[bytes | None], list[str]]:
    """``bytes`` and ``path`` columns of a pandas / Arrow / dict batch as lists (a batch with ``path`` alone:
    files every node can read, each read by the actor; its ``bytes`` are then None)."""
    if hasattr(batch, "to_pydict"):  # pyarrow.Table
        batch = batch.to_pydict()
    if "bytes" not in batch and "path" not in batch:
        raise KeyError(f"the batch has no 'bytes' or 'path' column (columns: {', '.join(map(str, batch.keys()))})")
    paths = [str(p) for p in list(batch["path"])] if "path" in batch else []
    if "bytes" not in batch:
        return [None] * len(paths), paths
    contents = [bytes(b) if b is not None else None for b in list(batch["bytes"])]
    return contents, paths or [f"row {k}" for k in range(len(contents))]


def run_ray_job(inputs: list[str], out: str | Path, mode: str = "lines", weights: str | None = None,
                detector: str = "auto", dpi: float = 300.0, address: str | None = None, actors: int | None = None,
                batch_rows: int = BATCH_ROWS, reader_class: type = ReadBatch) -> dict:
    """Run a batch job on Ray: listed inputs → :class:`ReadBatch` actors → Parquet in ``out``.

    Args:
        inputs: files, folders and list files as ``ocrlite batch`` takes them (on storage every node sees),
            or URIs Ray reads itself (``s3://``, ``gs://``: passed through as they are).
        address: the cluster (``ray://host:10001`` or ``host:6379``); None starts or joins a local one.
        actors: readers running at once (None: one per CPU of the cluster).

    Returns:
        A summary: ``inputs``, ``records``, ``failed``, ``listing_errors`` and ``out``.

    Raises:
        ImportError: Ray is not installed (``pip install 'ocrlite[ray]'``). ValueError: ``out`` is not empty.
    """
    import ray

    from ocrlite.inputs.lists import expand_inputs

    folder = Path(out)
    if folder.exists() and any(folder.iterdir()):
        raise ValueError(f"--out {folder}: not empty; the Ray engine writes a new results folder")
    uris = [i for i in inputs if "://" in i]
    listed = expand_inputs([i for i in inputs if "://" not in i])
    for item in listed:
        if not item.error and not os.path.isfile(item.path):
            item.error = "no such file"
    paths = [os.path.abspath(item.path) for item in listed if not item.error] + uris
    failed_listing = [(item.path, item.error) for item in listed if item.error]
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 **({} if address else {"_node_ip_address": "127.0.0.1"}))
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # records in input order, as the local engine's
    context.enable_progress_bars = False  # ocrlite reports the summary; Ray's bars would fill the terminal
    folder.mkdir(parents=True, exist_ok=True)
    records = 0
    if paths:
        actors = actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
        dataset = _input_dataset(ray, [os.path.abspath(item.path) for item in listed if not item.error], uris,
                                 blocks=max(4 * actors, -(-len(paths) // max(batch_rows, 1))))
        results = dataset.map_batches(
            reader_class, fn_constructor_kwargs={"mode": mode, "weights": weights, "detector": detector, "dpi": dpi},
            batch_size=batch_rows, compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=1, batch_format="pyarrow",
            max_restarts=3, max_task_retries=3)  # a dead actor is restarted and its batch run again
        results.write_parquet(str(folder / "records"))
    if failed_listing:
        import pyarrow as pa
        import pyarrow.parquet as pq

        make = line_record if mode == "lines" else (lambda p, _, e: page_record(p, None, error=e))
        rows = [make(path, None, error) for path, error in failed_listing]
        pq.write_table(pa.Table.from_pylist(rows), folder / "listing-errors.parquet")
    failed = len(failed_listing)
    if paths:
        import pyarrow.parquet as pq

        errors = pq.read_table(folder / "records", columns=["error"]).column("error").to_pylist()
        records, failed = len(errors), failed + sum(1 for e in errors if e)
    return {"inputs": len(paths) + len(failed_listing), "records": records + len(failed_listing), "failed": failed,
            "listing_errors": len(failed_listing), "out": str(folder)}
