"""One resumable, lossless batch job on every core of a machine (``ocrlite batch``).

The job's inputs are listed once, in order, into **tasks** (a line image; a page image; a PDF page) and
cut into fixed **chunks** of ``chunk_size`` tasks. Chunk ``k`` is written, when all its tasks are read, as
``OUT/part-{k:06d}.jsonl`` (or ``.parquet``) — beside its name and renamed in, so a part exists whole or
not at all. A rerun after a crash, ``kill -9`` or a reboot lists the same tasks (the job's manifest
refuses a different input list or settings), skips every chunk whose part exists and reads the rest:
no record is lost, none is written twice. An input that cannot be read is a record with its reason
(``error``), not a failure of the job; ``--retry-failed`` reads the chunks that hold such records again.

Workers are processes, each with the model loaded once and one onnxruntime thread, fed whole chunks
(``imap_unordered``: a part is written as soon as its chunk is done; parts are named by chunk, so the
order of the output does not depend on the order of completion). The text is the same as
``ocrlite predict`` reads on the same inputs, at any worker count.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ocrlite.bulk.records import line_record, page_record
from ocrlite.inputs.lists import expand_inputs
from ocrlite.inputs.pdf import PdfError, is_pdf, page_count
from ocrlite.utils.locks import FolderBusyError, lock_folder
from ocrlite.utils.memory import release_memory
from ocrlite.utils.outputs import write_bytes_atomic
from ocrlite.utils.progress import Progress, format_seconds

MODES = ("lines", "pages")
FORMATS = ("jsonl", "parquet")
MANIFEST = "manifest.json"


class JobError(ValueError):
    """The job cannot start: a bad option, a busy or foreign output folder (the message says which)."""


@dataclass
class JobSettings:
    """What decides the job's records: stored in its manifest, checked on every rerun."""

    mode: str = "lines"
    weights: str | None = None
    detector: str = "auto"
    dpi: float = 300.0
    chunk_size: int = 64
    format: str = "jsonl"


@dataclass
class Task:
    """One unit of work: an image (``page`` None) or one page of a PDF (``page`` 1-based)."""

    path: str
    page: int | None = None
    error: str | None = None


@dataclass
class JobSummary:
    tasks: int = 0
    done_before: int = 0
    read: int = 0
    failed: int = 0
    seconds: float = 0.0
    parts: list[str] = field(default_factory=list)


def list_tasks(inputs: list[str], mode: str) -> list[Task]:
    """The job's tasks, in input order: images, the images of folders and list files, and (pages mode)
    every page of each PDF."""
    tasks = []
    for item in expand_inputs(inputs):
        if item.error:
            tasks.append(Task(item.path, error=item.error))
        elif is_pdf(item.path):
            if mode != "pages":
                tasks.append(Task(item.path, error="a PDF document: read its pages with --mode pages"))
                continue
            try:
                tasks += [Task(item.path, page) for page in range(1, page_count(item.path) + 1)]
            except PdfError as err:
                tasks.append(Task(item.path, error=str(err)))
        else:
            tasks.append(Task(item.path))
    return tasks


def _fingerprint(tasks: list[Task], settings: JobSettings) -> str:
    digest = hashlib.sha256(json.dumps(asdict(settings), sort_keys=True).encode())
    for t in tasks:
        digest.update(f"{t.path}\0{t.page}\0".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


_WORKER: dict = {}


def _init_worker(settings: JobSettings) -> None:
    """Load the model once per worker process, on one onnxruntime thread."""
    import cv2

    from ocrlite.api import load_recognizer
    from ocrlite.pages.reader import resolve_detector

    cv2.setNumThreads(1)
    reader = load_recognizer(settings.weights, "auto", 1)
    reader.detector = resolve_detector(settings.detector)
    _WORKER["reader"] = reader
    _WORKER["settings"] = settings


def read_chunk(tasks: list[Task]) -> list[dict]:
    """The records of one chunk's tasks (run in a worker; uses the model :func:`_init_worker` loaded)."""
    from ocrlite.inputs.images import ImageLoadError
    from ocrlite.inputs.pdf import render_pages

    reader, settings = _WORKER["reader"], _WORKER["settings"]
    records: list[dict] = []
    if settings.mode == "lines":
        good = [t for t in tasks if not t.error]
        results = {r.path: r for r in reader.predict_paths([t.path for t in good])}
        for t in tasks:
            r = results.get(t.path) if not t.error else None
            records.append(line_record(t.path, r.prediction if r else None, t.error or (r.error if r else None)))
        return records
    for t in tasks:
        if t.error:
            records.append(page_record(t.path, t.page, error=t.error))
            continue
        try:
            if t.page is None:
                result = reader.read_page(t.path)
            else:
                (rendered,) = list(render_pages(t.path, str(t.page), settings.dpi, reader.max_pixels))
                if rendered.error:
                    raise ValueError(rendered.error)
                result = reader.read_page(rendered.image)
            records.append(page_record(t.path, t.page, result))
            release_memory()  # a big page leaves its decode buffers in glibc's arenas otherwise
        except ImageLoadError as err:
            records.append(page_record(t.path, t.page, error=err.reason))
        except (PdfError, ValueError) as err:
            records.append(page_record(t.path, t.page, error=str(err)))
    return records


def _part_name(k: int, fmt: str) -> str:
    return f"part-{k:06d}.{fmt}"


def write_part(folder: Path, k: int, records: list[dict], fmt: str) -> Path:
    """Write chunk ``k``'s records whole (beside the target, then renamed in)."""
    target = folder / _part_name(k, fmt)
    if fmt == "jsonl":
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8", "surrogateescape")
    else:
        import io

        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = [{**r, "lines": json.dumps(r["lines"], ensure_ascii=False) if r.get("lines") is not None else None}
                for r in records]
        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows), buf)
        data = buf.getvalue()
    write_bytes_atomic(target, data)
    return target


def read_records(folder: str | Path) -> Iterator[dict]:
    """Every record of a job's output folder, in task order."""
    folder = Path(folder)
    for part in sorted(folder.glob("part-*.*")):
        if part.suffix == ".jsonl":
            for line in part.read_text(encoding="utf-8").splitlines():
                yield json.loads(line)
        elif part.suffix == ".parquet":
            import pyarrow.parquet as pq

            for row in pq.read_table(part).to_pylist():
                yield row


def _failed_chunks(folder: Path, fmt: str, chunks: int) -> set[int]:
    failed = set()
    for k in range(chunks):
        part = folder / _part_name(k, fmt)
        if part.is_file():
            records = list(read_records_of(part))
            if any(r.get("error") for r in records):
                failed.add(k)
    return failed


def read_records_of(part: Path) -> Iterator[dict]:
    if part.suffix == ".jsonl":
        yield from (json.loads(line) for line in part.read_text(encoding="utf-8").splitlines())
    else:
        import pyarrow.parquet as pq

        yield from pq.read_table(part).to_pylist()


def run_job(inputs: list[str], out: str | Path, settings: JobSettings, workers: int | None = None,
            retry_failed: bool = False) -> JobSummary:
    """Run (or resume) a batch job; see the module docstring.

    Raises:
        JobError: bad settings, an output folder in use by another run or holding another job.
    """
    if settings.mode not in MODES:
        raise JobError(f"--mode {settings.mode!r}: choose one of {', '.join(MODES)}")
    if settings.format not in FORMATS:
        raise JobError(f"--format {settings.format!r}: choose one of {', '.join(FORMATS)}")
    if settings.chunk_size < 1:
        raise JobError(f"--chunk-size must be >= 1, got {settings.chunk_size}")
    if settings.format == "parquet":
        from ocrlite.utils.extras import require

        require("pyarrow", "ocrlite batch --format parquet")
    folder = Path(out)
    try:
        lock = lock_folder(folder, "ocrlite batch")
    except FolderBusyError as err:
        raise JobError(str(err)) from None
    try:
        tasks = list_tasks(inputs, settings.mode)
        fingerprint = _fingerprint(tasks, settings)
        manifest = folder / MANIFEST
        if manifest.is_file():
            stored = json.loads(manifest.read_text(encoding="utf-8"))
            if stored.get("fingerprint") != fingerprint:
                raise JobError(f"{folder}: holds another job (other inputs or settings); choose another --out")
        elif any(p.name.startswith("part-") for p in folder.iterdir()):
            raise JobError(f"{folder}: holds parts of a job without its {MANIFEST}; choose another --out")
        else:
            write_bytes_atomic(manifest, json.dumps({"fingerprint": fingerprint, "settings": asdict(settings),
                                                     "tasks": len(tasks)}, indent=1).encode())
        chunks = [tasks[i: i + settings.chunk_size] for i in range(0, len(tasks), settings.chunk_size)]
        todo = [k for k in range(len(chunks)) if not (folder / _part_name(k, settings.format)).is_file()]
        if retry_failed:
            todo = sorted(set(todo) | _failed_chunks(folder, settings.format, len(chunks)))
        summary = JobSummary(tasks=len(tasks), done_before=sum(len(chunks[k]) for k in range(len(chunks))
                                                                  if k not in set(todo)))
        workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
        start = time.perf_counter()
        bar = Progress(len(tasks), desc="batch", unit=settings.mode[:-1] if settings.mode == "lines" else "page",
                       initial=summary.done_before)
        try:
            if workers == 1:
                _init_worker(settings)
                results = ((k, read_chunk(chunks[k])) for k in todo)
                for k, records in results:
                    _record(folder, k, records, settings, summary, bar)
            else:
                ctx = multiprocessing.get_context("spawn")  # workers start clean: no inherited threads or locks
                with ctx.Pool(workers, initializer=_init_worker, initargs=(settings,)) as pool:
                    for k, records in pool.imap_unordered(_read_numbered, [(k, chunks[k]) for k in todo]):
                        _record(folder, k, records, settings, summary, bar)
        finally:
            bar.close()
        summary.seconds = time.perf_counter() - start
        return summary
    finally:
        if lock is not None:
            lock.close()


def _read_numbered(item: tuple[int, list[Task]]) -> tuple[int, list[dict]]:
    return item[0], read_chunk(item[1])


def _record(folder: Path, k: int, records: list[dict], settings: JobSettings, summary: JobSummary, bar: Progress) -> None:
    summary.parts.append(str(write_part(folder, k, records, settings.format)))
    summary.read += len(records)
    summary.failed += sum(1 for r in records if r.get("error"))
    bar.update(len(records), failed=summary.failed)


def describe(summary: JobSummary) -> str:
    """The closing summary line."""
    rate = summary.read / summary.seconds if summary.seconds > 0 else 0.0
    return (f"{summary.tasks} inputs: {summary.done_before} done before, {summary.read} read now "
            f"({summary.failed} failed, recorded with their reason) in {format_seconds(summary.seconds)}"
            f" ({rate:.1f}/s)")
