"""Opening an ONNX file with onnxruntime's CPU provider, the one way every ocrlite engine does it."""

from __future__ import annotations

from pathlib import Path


def open_session(path: str | Path, threads: int | None, error: type[Exception], what: str = "ONNX model"):
    """An ``onnxruntime.InferenceSession`` on ``path`` (``threads`` intra-op threads, None: onnxruntime's choice).

    Raises:
        error: the file is missing or onnxruntime cannot load it (the message names the file).
    """
    import onnxruntime as ort

    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: no such {what} file")
    options = ort.SessionOptions()
    # No memory arena: onnxruntime's arena grows to the largest input ever seen (a 40 MP page, a batch of
    # long lines) and never shrinks; without it the memory of a large input is given back after it.
    options.enable_cpu_mem_arena = False
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as err:  # noqa: BLE001 - onnxruntime raises its own exception types for a bad file
        raise error(f"{path}: not a loadable {what} ({str(err).splitlines()[0][:200]})") from None
