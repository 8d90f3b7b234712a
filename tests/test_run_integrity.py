"""Training runs stay theirs: another run's last.pt is refused on --resume, damaged weights are caught by their
checksum, a save killed half-way leaves nothing behind at the next start."""

from __future__ import annotations

import pytest

from ocrlite.cli import main
from ocrlite.nn.checkpoint import CheckpointError, read_checkpoint

TINY = ["--backbone", "mobilenet", "--backbone-kw", "width_mult=0.25", "middle_blocks=1", "--hidden-size", "32",
        "--batch-size", "4", "--val-size", "8", "--workers", "0", "--threads", "1"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "tiny"
    assert main(["train", *TINY, "--out", str(out), "--steps", "4", "--stop-at", "2", "--val-every", "2"]) == 0
    return out


def test_resume_with_another_runs_model_is_refused(run_dir, capsys):
    assert main(["train", "--out", str(run_dir), "--resume", "--backbone", "xception"]) == 2
    err = capsys.readouterr().err
    assert "--backbone 'xception' (the run's last.pt: 'mobilenet')" in err
    assert main(["train", "--out", str(run_dir), "--resume", "--hidden-size", "64"]) == 2
    assert "--hidden-size 64" in capsys.readouterr().err


def test_flipped_weight_bytes_are_caught_by_the_checksum(run_dir, tmp_path):
    import torch

    ck = torch.load(run_dir / "last.pt", weights_only=True)
    data = bytearray((run_dir / "last.pt").read_bytes())
    needle = ck["state_dict"]["head.fc.weight"].numpy().tobytes()[:64]
    at = bytes(data).find(needle)
    assert at > 0
    data[at: at + 64] = bytes(b ^ 0xFF for b in data[at: at + 64])
    damaged = tmp_path / "last.pt"
    damaged.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum"):
        read_checkpoint(damaged)
    assert read_checkpoint(run_dir / "last.pt")["state_sha256"]


def test_a_save_killed_half_way_leaves_no_stray_file_at_the_next_start(run_dir, capsys):
    stray = run_dir / ".last.pt.k1ll3d.tmp"
    stray.write_bytes(b"half a checkpoint")
    assert main(["train", "--out", str(run_dir), "--resume", "--stop-at", "3"]) == 0, capsys.readouterr().err
    assert not stray.exists()
