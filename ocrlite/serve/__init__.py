"""``ocrlite serve``: the recognizer as an HTTP service (FastAPI + uvicorn, the ``[serve]`` extra).

:func:`ocrlite.serve.app.create_app` builds the ASGI app; :mod:`ocrlite.serve.run` starts uvicorn.
Importing this package imports neither.
"""
