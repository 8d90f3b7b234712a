"""ocrlite inside other tools: the OCRmyPDF engine plugin (:mod:`ocrlite.plugins.ocrmypdf`, the ``[ocrmypdf]`` extra)."""
