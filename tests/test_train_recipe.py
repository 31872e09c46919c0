"""The nano training recipe: smoke round end to end, resume, refusals, and its pure pieces."""
from __future__ import annotations

import io
import json
import math
import tarfile
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from gvcodec.train.archive import pack_parts
from gvcodec.train.cli import main
from gvcodec.train.evaluate import T_BUCKETS, bucket_times, position_means
from gvcodec.train.measures import psnr_from_mse
from gvcodec.train.schedules import sample_training_times, shift_time, warmup_cosine
from tests.helpers import shared_path

def _smoke(out: Path, run_dir: Path, *extra: str) -> int:
    return main(
        ["--data", str(shared_path("trainvideos")), "--out", str(out), "--run-dir", str(run_dir), "--smoke",
         "--vae-seconds", "2", "--flow-seconds", "1", *extra]
    )


@pytest.fixture(scope="module")
def smoke_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("nano_smoke")
    assert _smoke(root / "nano", root / "runs", "--archive-to", str(root / "parts")) == 0
    return root / "nano"


@pytest.mark.slow
def test_smoke_round_writes_a_folder_that_diffusers_loads(smoke_model: Path) -> None:
    from diffusers import WanTransformer3DModel

    from gvcodec.backbones.block_vae import BlockTransformVAE
    from gvcodec.backbones.gaussian_prior import GaussianLatentPrior

    vae = BlockTransformVAE.from_pretrained(smoke_model / "vae", local_files_only=True)
    transformer = WanTransformer3DModel.from_pretrained(smoke_model / "transformer", local_files_only=True)
    prior = GaussianLatentPrior.from_pretrained(smoke_model / "prior", local_files_only=True)
    assert transformer.config.in_channels == 20 and transformer.config.out_channels == 8
    assert list(transformer.config.patch_size)[0] == 1
    assert vae.config.z_dim == 8 and vae.config.scale_factor_spatial == 8 and vae.config.scale_factor_temporal == 4
    assert len(set(vae.config.latents_std)) == 1 and vae.config.latents_std != [1.0] * 8, (
        "one global latent scale, measured, not left at its default"
    )
    assert float(vae.basis.abs().sum()) > 0, "the transform phase installs a basis"
    torch.testing.assert_close(vae.basis.T @ vae.basis, torch.eye(8), atol=1e-4, rtol=0)
    assert prior.log_power.shape[0] == 8 and bool(torch.isfinite(prior.log_power).all())
    video = torch.zeros(1, 3, 5, 32, 32)
    assert vae.encode(video).latent_dist.mean.shape == (1, 8, 2, 4, 4)


@pytest.mark.slow
def test_smoke_round_stores_half_precision_weights_except_the_linear_skeleton(smoke_model: Path) -> None:
    with safe_open(smoke_model / "vae" / "diffusion_pytorch_model.safetensors", "pt") as weights:
        dtypes = {key: weights.get_tensor(key).dtype for key in weights.keys()}
    assert dtypes.pop("basis") == dtypes.pop("block_mean") == torch.float32
    assert set(dtypes.values()) == {torch.float16}
    with safe_open(smoke_model / "prior" / "diffusion_pytorch_model.safetensors", "pt") as weights:
        assert weights.get_tensor("log_power").dtype == torch.float32
    history = json.loads((smoke_model / "training.json").read_text())
    assert len(history) == 1 and {"transform", "vae", "latents", "flow"} <= history[0].keys()
    assert history[0]["data"]["frames"] > 0 and len(history[0]["data"]["clips"]) == 2


@pytest.mark.slow
def test_smoke_model_codes_a_clip_through_the_codec(smoke_model: Path) -> None:
    from gvcodec.backbones import load_backbone

    backbone = load_backbone(str(smoke_model))
    video = torch.zeros(3, 5, 32, 32)
    latent = backbone.encode_video(video)
    assert latent.shape == (8, 2, 4, 4)
    condition = backbone.condition("", 5, 32, 32, first=video[:, 0])
    assert backbone.velocity(latent, 0.5, condition).shape == latent.shape
    assert backbone.decode_latent(latent).shape == video.shape


@pytest.mark.slow
def test_archive_parts_reassemble_to_the_model_folder(smoke_model: Path) -> None:
    parts = sorted((smoke_model.parent / "parts").glob("nano.tar.part*"))
    assert parts
    with tarfile.open(fileobj=io.BytesIO(b"".join(p.read_bytes() for p in parts))) as archive:
        names = set(archive.getnames())
    assert {"nano/vae/config.json", "nano/transformer/config.json", "nano/training.json"} <= names


@pytest.mark.slow
def test_resume_from_shipped_folder_appends_a_round_and_keeps_basis_and_latent_statistics(
    smoke_model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "resumed"
    assert main(
        ["--data", str(shared_path("trainvideos")), "--out", str(out), "--run-dir", str(tmp_path / "runs"), "--smoke",
         "--resume", str(smoke_model), "--vae-seconds", "0", "--flow-seconds", "1"]
    ) == 0
    history = json.loads((out / "training.json").read_text())
    assert len(history) == 2 and "flow" in history[1] and not {"vae", "transform"} & history[1].keys()
    before = json.loads((smoke_model / "vae" / "config.json").read_text())["latents_std"]
    after = json.loads((out / "vae" / "config.json").read_text())["latents_std"]
    assert after == pytest.approx(before)
    with safe_open(smoke_model / "vae" / "diffusion_pytorch_model.safetensors", "pt") as a, safe_open(
        out / "vae" / "diffusion_pytorch_model.safetensors", "pt"
    ) as b:
        assert torch.equal(a.get_tensor("basis"), b.get_tensor("basis"))


@pytest.mark.slow
def test_resume_from_run_checkpoint(smoke_model: Path, tmp_path: Path) -> None:
    run_dir = smoke_model.parent / "runs"
    assert (run_dir / "state.pt").is_file()
    out = tmp_path / "from_run"
    assert main(
        ["--data", str(shared_path("trainvideos")), "--out", str(out), "--run-dir", str(tmp_path / "runs"), "--smoke",
         "--resume", str(run_dir), "--vae-seconds", "0", "--flow-seconds", "0"]
    ) == 0
    assert len(json.loads((out / "training.json").read_text())) == 2


@pytest.mark.slow
def test_a_run_split_into_chunks_continues_where_it_stopped(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs"
    args = ["--data", str(shared_path("trainvideos")), "--out", str(tmp_path / "out"), "--run-dir", str(run_dir), "--smoke",
            "--vae-seconds", "8", "--flow-seconds", "0"]
    assert main([*args, "--minutes", "0.05"]) == 0
    saved = torch.load(run_dir / "state.pt", weights_only=True)
    first = json.loads(saved["spent"])["vae"]
    assert 0.0 < first < 7.0, "the chunk stopped the VAE phase before its budget"
    assert main([*args, "--resume", str(run_dir)]) == 0
    saved = torch.load(run_dir / "state.pt", weights_only=True)
    assert json.loads(saved["spent"])["vae"] == pytest.approx(8.0, abs=1.0)
    history = json.loads(saved["history"])
    assert len(history) == 2 and "transform" in history[0] and "transform" not in history[1]


def test_minutes_must_be_positive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(shared_path("trainvideos")), "--out", str(tmp_path / "x"), "--smoke", "--minutes", "0"]) == 2
    assert "--minutes must be positive" in capsys.readouterr().err


def test_recipe_refuses_to_train_on_the_evaluation_clips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(shared_path("testvideos")), "--out", str(tmp_path / "x"), "--smoke"]) == 2
    assert "never trains on them" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_evaluation_writes_card_and_samples(smoke_model: Path) -> None:
    from gvcodec.train.report import evaluate_and_describe

    evaluate_and_describe(smoke_model, shared_path("testvideos"), smoke=True)
    card = (smoke_model / "MODEL_CARD.md").read_text()
    assert "PSNR" in card and "| t2v |" in card and "| flf2v |" in card and "samples.png" in card
    assert "by frame position" in card and "BlockTransformVAE" in card
    assert (smoke_model / "samples.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_warmup_cosine_rises_linearly_then_decays_to_the_floor() -> None:
    assert warmup_cosine(0.0, 0.1) == 0.0
    assert warmup_cosine(0.05, 0.1) == pytest.approx(0.5)
    assert warmup_cosine(0.1, 0.1) == pytest.approx(1.0)
    assert warmup_cosine(1.0, 0.1, floor=0.05) == pytest.approx(0.05)
    assert warmup_cosine(0.3, 0.1) > warmup_cosine(0.6, 0.1) > warmup_cosine(0.9, 0.1)


def test_shift_time_keeps_endpoints_and_pushes_towards_noise() -> None:
    t = torch.tensor([0.0, 0.25, 0.5, 1.0])
    shifted = shift_time(t, 3.0)
    assert shifted[0] == 0.0 and shifted[-1] == 1.0
    assert shifted[2] == pytest.approx(0.75)
    assert bool((shifted[1:3] > t[1:3]).all())


def test_training_times_lie_strictly_inside_the_unit_interval() -> None:
    t = sample_training_times(4096, 3.0, torch.Generator().manual_seed(0), torch.device("cpu"))
    assert t.shape == (4096,) and float(t.min()) > 0.0 and float(t.max()) < 1.0
    assert float(t.median()) > 0.5, "the shift must move the median towards noise"


def test_psnr_matches_its_formula() -> None:
    assert psnr_from_mse(4.0 / 1e3) == pytest.approx(30.0)


def test_bucket_times_are_interior_midpoints() -> None:
    assert bucket_times((0.2, 0.4), 2) == pytest.approx([0.25, 0.35])
    assert all(lo < t < hi for lo, hi in T_BUCKETS for t in bucket_times((lo, hi))), "every t inside its bucket"
    assert not math.isclose(T_BUCKETS[0][0], bucket_times(T_BUCKETS[0])[0]), "t = 0 has no noise: never evaluated"


def test_pack_parts_splits_and_removes_stale_parts(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "blob.bin").write_bytes(bytes(range(256)) * 40)
    parts = pack_parts(folder, tmp_path / "out", "m", part_bytes=4096)
    assert len(parts) > 2 and all(p.stat().st_size <= 4096 for p in parts)
    (folder / "blob.bin").write_bytes(b"small")
    parts = pack_parts(folder, tmp_path / "out", "m", part_bytes=4096)
    assert sorted((tmp_path / "out").iterdir()) == parts
    with tarfile.open(fileobj=io.BytesIO(b"".join(p.read_bytes() for p in parts))) as archive:
        assert archive.extractfile("m/blob.bin").read() == b"small"


def test_position_means_average_only_the_positions_every_curve_reaches() -> None:
    assert position_means([[1.0, 2.0, 3.0], [3.0, 4.0]]) == [2.0, 3.0]
