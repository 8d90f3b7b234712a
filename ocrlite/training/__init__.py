"""Training, torch-only: the run's settings (:mod:`~ocrlite.training.config`), the learning-rate
schedule (:mod:`~ocrlite.training.schedule`), the run folder, its lock and exact resume
(:mod:`~ocrlite.training.run_dir`), the batch streams (:mod:`~ocrlite.training.batches`),
validation (:mod:`~ocrlite.training.validation`) and the loop (:mod:`~ocrlite.training.trainer`).

Layer 7: may import every layer below it (utils, inputs, recognition, datasets, synth, nn, pages,
api, evaluation); never serve or the CLI.
"""
