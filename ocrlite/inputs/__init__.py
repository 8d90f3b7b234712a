"""Safe input loading: image files decoded with bounded pixels and formats (:mod:`~ocrlite.inputs.images`),
and the command-line input lists — files, folders, ``.txt``/``.tsv`` lists (:mod:`~ocrlite.inputs.lists`).

Layer 1: may import :mod:`ocrlite.utils`; torch-free. Knows nothing of models or pages.
"""

from ocrlite.inputs.lists import InputItem, expand_inputs

__all__ = ["InputItem", "expand_inputs"]
