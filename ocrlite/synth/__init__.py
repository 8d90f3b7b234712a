"""Synthesis: text sources in six languages, fonts, rendering and print/camera damage of text lines
(:mod:`~ocrlite.synth.generator`), set writing, and synthetic pages with known line boxes
(:mod:`~ocrlite.synth.pages`).

Layer 3: may import :mod:`ocrlite.utils`, :mod:`ocrlite.inputs` and :mod:`ocrlite.recognition`
(the charset); never torch (albumentations and OpenCV only).
"""
