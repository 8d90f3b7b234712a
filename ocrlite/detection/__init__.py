"""Line detection at inference, torch-free: how a page is fed to the learned detector, its probability
map turned into line boxes (:mod:`~ocrlite.detection.postprocess`), and the ONNX engine
(:mod:`~ocrlite.detection.onnx_engine`), with the shipped detector's path.

Layer 2 (beside :mod:`ocrlite.recognition`): may import :mod:`ocrlite.utils` and :mod:`ocrlite.inputs`.
Knows nothing of recognition or pages: it finds boxes; :mod:`ocrlite.pages` reads them.
"""
