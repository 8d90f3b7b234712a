"""Training and evaluation: loss falls, exact resume, SIGKILL, fine-tuning, eval, DDP, safe run folders."""

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from PIL import Image

from ocrlite.recognition.charset import Charset
from ocrlite.nn.checkpoint import load_checkpoint, read_checkpoint
from ocrlite.cli import main
from ocrlite.datasets.line_sets import labels_look_case_folded
from ocrlite.synth.generator import LineGenerator
from ocrlite.training.trainer import TrainConfig, Trainer, case_pairs, merge_letter_case, train

from helpers import save_tiny_checkpoint

TINY = ["--backbone", "mobilenet", "--backbone-kw", "width_mult=0.25", "middle_blocks=1", "--hidden-size", "32",
        "--batch-size", "4", "--val-size", "8", "--workers", "0", "--threads", "1"]


def tiny_cfg(out: Path, **kw) -> TrainConfig:
    base = dict(backbone="mobilenet", out=str(out), steps=12, batch_size=4, hidden_size=32, val_size=8,
                val_every=6, save_every=3, workers=0, threads=1, warmup=3,
                backbone_kwargs={"width_mult": 0.25, "middle_blocks": 1})
    base.update(kw)
    return TrainConfig(**base)


def test_loss_falls_on_a_short_cpu_run(tmp_path):
    trainer = Trainer(tiny_cfg(tmp_path / "run", steps=60, batch_size=8, lr=3e-3, warmup=5))
    losses = []
    for batch in trainer.loader():
        losses.append(trainer.train_step(batch))
        trainer.step += 1
        if trainer.step == 60:
            break
    assert sum(losses[-10:]) / 10 < 0.7 * sum(losses[:5]) / 5, losses


def test_resume_continues_exactly(tmp_path):
    train(tiny_cfg(tmp_path / "a"))
    train(tiny_cfg(tmp_path / "b"), stop_at=7)
    assert read_checkpoint(tmp_path / "b" / "last.pt")["resume"]["step"] == 7
    # steps=None is what `ocrlite train --resume` passes without --steps: the run keeps its own schedule (12).
    train(tiny_cfg(tmp_path / "b", steps=None), resume=True)
    a = read_checkpoint(tmp_path / "a" / "last.pt")
    b = read_checkpoint(tmp_path / "b" / "last.pt")
    assert a["resume"]["step"] == b["resume"]["step"] == 12
    assert a["resume"]["samples_seen"] == b["resume"]["samples_seen"]
    for k, v in a["state_dict"].items():
        assert torch.allclose(v.float(), b["state_dict"][k].float(), atol=1e-6), k
    lines = (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["step"] for x in lines] == [6, 12]


def test_sigkilled_run_resumes(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "ocrlite", "train", *TINY, "--out", str(out), "--steps", "40", "--save-every", "2",
           "--val-every", "20"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline and not (out / "last.pt").exists():
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = read_checkpoint(out / "last.pt")["resume"]["step"]
    assert 2 <= killed_at < 40
    assert subprocess.run([*cmd, "--resume"], capture_output=True).returncode == 0
    assert read_checkpoint(out / "last.pt")["resume"]["step"] == 40
    load_checkpoint(out / "best.pt")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stop_signal_to_process_group_saves_last(tmp_path, sig):
    """Ctrl-C in a terminal signals the trainer *and* its data worker; the run must still save, then exit 128+signal."""
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "ocrlite", "train", *TINY, "--workers", "1", "--out", str(out), "--steps", "400",
           "--save-every", "2", "--val-every", "200"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 240
    while time.time() < deadline and not (out / "last.pt").exists():
        time.sleep(0.2)
    time.sleep(1.0)
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, err.decode()[-2000:]
    assert b"stopped at step" in err
    stopped_at = read_checkpoint(out / "last.pt")["resume"]["step"]
    assert 2 <= stopped_at < 400
    assert f"stopped at step {stopped_at};".encode() in err


def test_init_with_extended_charset_keeps_shared_rows(tmp_path):
    old = Charset("abc")
    save_tiny_checkpoint(tmp_path / "old.pt", old)
    before = load_checkpoint(tmp_path / "old.pt").model.head.fc.weight.detach()
    trainer = Trainer(tiny_cfg(tmp_path / "run", charset="xcab", init=str(tmp_path / "old.pt"), hidden_size=48,
                               backbone_kwargs={}))
    after = trainer.model.head.fc.weight.detach()
    assert after.shape[0] == 5
    assert torch.equal(after[0], before[0])          # blank
    assert torch.equal(after[2], before[3])          # 'c'
    assert torch.equal(after[3], before[1])          # 'a'
    assert torch.equal(after[4], before[2])          # 'b'
    assert not torch.equal(after[1], before[1])      # 'x' is new


def test_width_scale_is_trained_with_saved_and_inherited_by_init(tmp_path):
    train(tiny_cfg(tmp_path / "wide", steps=3, val_every=3, width_scale=1.3))
    wide = load_checkpoint(tmp_path / "wide" / "last.pt")
    assert wide.preprocess.width_scale == 1.3
    trainer = Trainer(tiny_cfg(tmp_path / "plain"))
    assert trainer.preprocess.width_scale == 1.0 and trainer.cfg.width_scale == 1.0
    # the training stream prepares the same synthetic line 1.3x wider (same seed, same index)
    wide_stream = Trainer(tiny_cfg(tmp_path / "wide2", width_scale=1.3)).loader().dataset
    narrow_stream = trainer.loader().dataset
    pairs = [(wide_stream.sample(i), narrow_stream.sample(i)) for i in range(12)]
    pairs = [(w, n) for w, n in pairs if w is not None and n is not None]  # unusable lines are None
    assert len(pairs) >= 4
    for (wide_image, text, _), (narrow_image, same_text, _) in pairs:
        assert text == same_text and abs(wide_image.shape[1] / narrow_image.shape[1] - 1.3) < 0.1
    fine_tune = Trainer(tiny_cfg(tmp_path / "ft", init=str(tmp_path / "wide" / "last.pt")))
    assert fine_tune.preprocess.width_scale == 1.3
    explicit = Trainer(tiny_cfg(tmp_path / "ft2", init=str(tmp_path / "wide" / "last.pt"), width_scale=1.0))
    assert explicit.preprocess.width_scale == 1.0


def test_trim_to_text_is_off_for_new_runs_and_follows_the_init_model(tmp_path):
    from ocrlite.nn.checkpoint import atomic_save, checkpoint_dict
    from ocrlite.recognition.preprocess import PreprocessConfig

    assert Trainer(tiny_cfg(tmp_path / "new")).preprocess.trim_to_text is False
    charset = Charset("abc")
    model, config = save_tiny_checkpoint(tmp_path / "plain.pt", charset)
    atomic_save(checkpoint_dict(model, config, charset, PreprocessConfig(trim_to_text=True)), tmp_path / "trim.pt")
    fine_tune = Trainer(tiny_cfg(tmp_path / "ft", charset="abc", init=str(tmp_path / "trim.pt"), hidden_size=48,
                                 backbone_kwargs={}))
    assert fine_tune.preprocess.trim_to_text is True and fine_tune.cfg.trim_to_text is True


def _levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def test_eval_matches_hand_computed_cer(trained_checkpoint, line_images, tmp_path, capsys):
    truths = ["hello wxrld", "THE REST", "0123 4567"]
    for i, (image, _) in enumerate(line_images[:3]):
        image.save(tmp_path / f"{i}.png")
    (tmp_path / "labels.tsv").write_text("".join(f"{i}.png\t{t}\n" for i, t in enumerate(truths)))
    preds = [t for _, t in line_images[:3]]
    for fold in (False, True):
        norm = (lambda s: s.casefold()) if fold else (lambda s: s)
        expected = sum(_levenshtein(norm(p), norm(t)) for p, t in zip(preds, truths)) / sum(len(t) for t in truths)
        args = ["eval", str(tmp_path), "--weights", str(trained_checkpoint), "--json"] + (["--fold-case"] if fold else [])
        assert main(args) == 0
        result = json.loads(capsys.readouterr().out)[0]
        assert result["cer"] == pytest.approx(expected)
        assert result["lines"] == 3
    errors = tmp_path / "errors.tsv"
    assert main(["eval", str(tmp_path), "--weights", str(trained_checkpoint), "--errors", str(errors)]) == 0
    rows = errors.read_text().splitlines()
    assert rows[1].split("\t")[1] == "THE REST"   # the worst line first
    assert main(["eval", str(tmp_path), "--weights", str(trained_checkpoint), "--errors", str(errors)]) == 2


def test_existing_run_folder_is_not_overwritten(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["train", *TINY, "--out", str(tmp_path), "--steps", "2"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert main(["train", *TINY, "--out", str(tmp_path / "new"), "--resume"]) == 2


def test_ddp_two_processes(tmp_path):
    """Runs the same whether or not the virtualenv's bin is on PATH (no `torchrun` script needed)."""
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(29500 + os.getpid() % 1000), "-m", "ocrlite",
           "train", *TINY, "--out", str(out), "--steps", "4", "--val-every", "4"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    ck = read_checkpoint(out / "last.pt")
    assert ck["resume"]["step"] == 4 and ck["resume"]["world_size"] == 2
    assert 24 <= ck["resume"]["samples_seen"] <= 4 * 4 * 2  # 4 steps × 2 ranks × ≤ 4 lines (unusable lines dropped)
    assert (out / "best.pt").is_file()


def test_unknown_backbone_lists_choices(tmp_path, capsys):
    assert main(["train", "--backbone", "resnet", "--out", str(tmp_path / "r")]) == 2
    assert "shufflenet" in capsys.readouterr().err


def test_gpu_script_continues_a_run_with_more_workers(tmp_path):
    """scripts/train/train_gpu.sh's logic on the CPU: resume with more data workers, save last.pt where it was."""
    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out), "--steps", "12", "--val-every", "12", "--stop-at", "4"]) == 0
    env = {**os.environ, "DEVICE": "cpu", "WORKERS": "2", "PYTHON": sys.executable, "OMP_THREAD_LIMIT": "1"}
    script = Path(__file__).resolve().parent.parent / "scripts" / "train" / "train_gpu.sh"
    res = subprocess.run(["bash", str(script), str(out), "--stop-at", "8"], capture_output=True, text=True,
                         env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "2 data workers" in res.stderr
    ck = read_checkpoint(out / "last.pt")
    assert ck["resume"]["step"] == 8 and ck["resume"]["workers"] == 2


def test_case_folded_labels_accept_either_case():
    """CTC on an upper-cased label scores a line read in lower case as well as one read in upper case."""
    charset = Charset.ascii()
    pairs = case_pairs(charset)
    assert len(pairs[0]) == 26
    steps = []
    for ch in "ab":  # a confident reading of "ab" in lower case, with blanks between
        steps += [charset.encode(ch)[0], 0]
    logits = torch.full((len(steps), 1, charset.num_classes), -20.0)
    for t, k in enumerate(steps):
        logits[t, 0, k] = 20.0
    log_probs = logits.log_softmax(-1)
    target = torch.tensor([charset.encode("AB")])
    ctc = torch.nn.CTCLoss(zero_infinity=False)
    lengths = (torch.tensor([len(steps)]), torch.tensor([2]))
    exact = ctc(log_probs, target, *lengths)
    folded = ctc(merge_letter_case(log_probs, torch.tensor([True]), pairs), target, *lengths)
    kept = merge_letter_case(log_probs, torch.tensor([False]), pairs)
    assert exact > 10 and folded < 0.1
    assert torch.equal(kept, log_probs)


def test_capitals_only_set_is_read_as_case_folded(tmp_path, capsys):
    set_dir = tmp_path / "caps"
    (set_dir / "images").mkdir(parents=True)
    gen = LineGenerator(Charset.default())
    rows = []
    for i in range(12):
        image, text = gen.generate(5, i)
        Image.fromarray(image).save(set_dir / "images" / f"{i}.png")
        rows.append(f"images/{i}.png\t{text.upper()}\n")
    (set_dir / "labels.tsv").write_text("".join(rows) + "images/0.png\tTOTAL RM 12.30 AND MORE CAPITALS HERE\n")
    assert labels_look_case_folded(["TOTAL RM 12.30 AND MORE CAPITALS"]) and not labels_look_case_folded(["Total"])
    auto = Trainer(tiny_cfg(tmp_path / "auto", train_data=[str(set_dir)], synth_ratio=0.5))
    assert all(line.case_folded for line in auto.real)
    assert "case-folded" in capsys.readouterr().err
    exact = Trainer(tiny_cfg(tmp_path / "exact", train_data=[str(set_dir)], synth_ratio=0.5, train_case="exact"))
    assert not any(line.case_folded for line in exact.real)
    batch = next(iter(auto.loader()))
    assert batch.case_folded is not None and len(batch.case_folded) == len(batch.texts)
    assert math.isfinite(auto.train_step(batch))
    with pytest.raises(ValueError, match="--train-case must be one of auto, exact, folded"):
        Trainer(tiny_cfg(tmp_path / "bad", train_case="lower"))


def test_train_step_reports_where_its_time_goes(tmp_path):
    trainer = Trainer(tiny_cfg(tmp_path / "run"))
    timings: dict[str, float] = {}
    batch = next(iter(trainer.loader()))
    start = time.perf_counter()
    trainer.train_step(batch, timings)
    whole = time.perf_counter() - start
    assert set(timings) == {"to_device", "forward", "loss", "backward", "optimizer"}
    assert all(t >= 0 for t in timings.values()) and sum(timings.values()) <= whole + 1e-3
    assert timings["forward"] > 0 and timings["backward"] > 0


def test_width_sorting_chunk_is_a_run_setting(tmp_path):
    trainer = Trainer(tiny_cfg(tmp_path / "run", batches_per_chunk=5))
    assert trainer.loader().dataset.batches_per_chunk == 5
    stored = {k: v for k, v in vars(tiny_cfg(tmp_path / "run")).items() if k != "batches_per_chunk"}
    # A run saved before the setting existed resumes with the 8-batch chunks it was trained on.
    assert Trainer._merge_resumed(stored, tiny_cfg(tmp_path / "run")).batches_per_chunk == 8
    stored["batches_per_chunk"] = 16
    assert Trainer._merge_resumed(stored, tiny_cfg(tmp_path / "run")).batches_per_chunk == 16
    with pytest.raises(ValueError, match="batches_per_chunk"):
        Trainer(tiny_cfg(tmp_path / "bad", batches_per_chunk=0))


def test_a_run_gives_freed_memory_back_and_validates_at_its_batch_size(tmp_path, monkeypatch):
    """Issue 41: the heap is trimmed every TRIM_EVERY steps and around validation, which reads at the training
    batch size (a 200-step xception run at batch 16 peaked at 4.1 GiB without, 3.25 GiB with)."""
    import ocrlite.training.trainer as trainer_module
    import ocrlite.training.validation as validation_module

    trims, batch_sizes = [], []
    monkeypatch.setattr(trainer_module, "release_memory", lambda: trims.append("step") or True)
    monkeypatch.setattr(validation_module, "release_memory", lambda: trims.append("val") or True)
    real_evaluate = validation_module.evaluate_prepared

    def spy(rec, images, truths, batch_size=64, **kw):
        batch_sizes.append(batch_size)
        return real_evaluate(rec, images, truths, batch_size=batch_size, **kw)

    monkeypatch.setattr(validation_module, "evaluate_prepared", spy)
    steps = 2 * trainer_module.TRIM_EVERY
    Trainer(tiny_cfg(tmp_path / "run", steps=steps, val_every=steps)).run()
    assert trims.count("step") == 2
    assert trims.count("val") >= 2  # before and after the validation at the last step
    assert batch_sizes and set(batch_sizes) == {4}


def test_stopping_the_data_workers_never_raises_worker_killed():
    """The workers are taken off torch's SIGCHLD watch before they are killed, so their death at the end of a
    finished run cannot raise "DataLoader worker (pid N) is killed by signal: Killed" in the trainer."""
    from torch.utils.data import DataLoader, IterableDataset

    from ocrlite.training.workers import ignore_stop_signals, stop_workers

    class Endless(IterableDataset):
        def __iter__(self):
            while True:
                yield torch.zeros(2)

    for _ in range(3):
        batches = iter(DataLoader(Endless(), batch_size=2, num_workers=1, worker_init_fn=ignore_stop_signals))
        next(batches)
        workers = list(batches._workers)
        stop_workers(batches)
        assert batches._worker_pids_set is False
        time.sleep(0.2)  # a SIGCHLD handler still watching would raise here
        assert not any(w.is_alive() for w in workers)


def test_freeze_backbone_trains_only_the_sequence_layers_and_resumes_exactly(tmp_path):
    train(tiny_cfg(tmp_path / "base", steps=3, val_every=3))
    init = tmp_path / "base" / "last.pt"
    start = read_checkpoint(init)["state_dict"]
    cfg = dict(init=str(init), freeze=["backbone"], lr=3e-3)
    train(tiny_cfg(tmp_path / "ft", **cfg))
    tuned = read_checkpoint(tmp_path / "ft" / "last.pt")
    assert tuned["train"]["freeze"] == ["backbone"]
    backbone = [k for k in start if k.startswith("backbone.")]
    assert any("running_mean" in k for k in backbone)  # batch-norm statistics are checked too
    for k in backbone:
        assert torch.equal(start[k], tuned["state_dict"][k]), k
    moved = [k for k in start if k.startswith(("neck.", "head.")) and not torch.equal(start[k], tuned["state_dict"][k])]
    assert len(moved) >= 2, moved
    train(tiny_cfg(tmp_path / "ft2", **cfg), stop_at=7)  # stopped and resumed: the same weights as in one go
    train(tiny_cfg(tmp_path / "ft2", steps=None), resume=True)
    again = read_checkpoint(tmp_path / "ft2" / "last.pt")["state_dict"]
    for k, v in tuned["state_dict"].items():
        assert torch.allclose(v.float(), again[k].float(), atol=1e-6), k


def test_freeze_names_the_parts_it_knows_and_needs_an_init(tmp_path):
    with pytest.raises(ValueError, match="choose from backbone, neck"):
        Trainer(tiny_cfg(tmp_path / "a", init="default", freeze=["convs"]))
    with pytest.raises(ValueError, match="give --init"):
        Trainer(tiny_cfg(tmp_path / "b", freeze=["backbone"]))
