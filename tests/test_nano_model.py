"""The shipped nano model (weights/nano) is nano v2, and streams of the first nano are refused by fingerprint."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import torch

import gvcodec
from gvcodec.backbones import NANO_FOLDER, load_backbone
from gvcodec.errors import ModelError

OLD_STREAM = Path(__file__).parent / "data" / "streams" / "nano_v1_carphone_9f.gvc"


@pytest.fixture(scope="module")
def nano():
    return load_backbone("nano")


def test_shipped_nano_is_a_block_transform_vae_with_a_gaussian_prior(nano) -> None:
    assert type(nano.vae).__name__ == "BlockTransformVAE" and nano.prior is not None
    assert nano.layout.anchored and nano.layout.image_anchors == 0 and not nano.accepts_prompt
    basis = nano.vae.basis
    torch.testing.assert_close(basis.T @ basis, torch.eye(basis.shape[1]), atol=1e-4, rtol=0)
    assert len(set(nano.vae.config.latents_std)) == 1, "one global latent scale keeps the PCA's ordering"


def test_shipped_nano_weights_are_small_safetensors_without_pickles() -> None:
    files = [p for p in NANO_FOLDER.rglob("*") if p.is_file()]
    weights = [p for p in files if p.suffix == ".safetensors"]
    assert {p.parent.name for p in weights} == {"vae", "transformer", "prior"}
    assert not [p for p in files if p.suffix in (".bin", ".pt", ".pth", ".ckpt", ".pkl")]
    assert sum(p.stat().st_size for p in weights) <= 40e6


def test_shipped_nano_card_reports_its_evaluation() -> None:
    card = (NANO_FOLDER / "MODEL_CARD.md").read_text(encoding="utf-8")
    evaluation = json.loads((NANO_FOLDER / "evaluation.json").read_text(encoding="utf-8"))
    mean = sum(c["psnr"] for c in evaluation["clips"]) / len(evaluation["clips"])
    assert f"mean {mean:.2f} dB" in card and "by frame position" in card


def test_reconstruction_of_a_real_clip_is_close(nano) -> None:
    from gvcodec.bench.points import load_clip
    from gvcodec.colour import yuv420_to_rgb

    clip = load_clip(Path(gvcodec.__file__).parents[1] / "examples" / "carphone_176x144_17f.y4m", 17)
    video = yuv420_to_rgb(clip.frames)[:, :, :128, :160]
    reconstruction = nano.decode_latent(nano.encode_video(video))
    psnr = 10 * torch.log10(4.0 / (reconstruction - video).square().mean())
    assert float(psnr) > 27.0


def test_a_stream_of_the_first_nano_is_refused_by_fingerprint(nano) -> None:
    header, _ = gvcodec.read_stream(io.BytesIO(OLD_STREAM.read_bytes()))
    with pytest.raises(ModelError, match="model mismatch: the stream was encoded with model fingerprint 633810b07bd5405c"):
        gvcodec.Decoder(header, backbone=nano)
