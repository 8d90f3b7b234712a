"""Line recognition at inference, torch-free: the charset, preprocessing and the text band, CTC
decoding (greedy, beam, lexicon, allowed characters), ASCII folding, CER metrics, the engine-agnostic
line reader (:class:`~ocrlite.recognition.reader.BaseRecognizer`), the ONNX engine, the
shipped-model registry (:mod:`~ocrlite.recognition.zoo`) and the line-turn classifier that tells an
upside-down line (:mod:`~ocrlite.recognition.line_turn`).

Layer 2: may import :mod:`ocrlite.utils` and :mod:`ocrlite.inputs`. Never torch, never pages: a
reader reads lines; reading pages is :mod:`ocrlite.pages`, one layer up.
"""
