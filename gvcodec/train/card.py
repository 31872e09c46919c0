"""MODEL_CARD.md of a nano model folder: data, sizes, training rounds, hardware, wall time and metrics."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from safetensors import safe_open

from gvcodec.train.checkpoint import HISTORY_FILE
from gvcodec.train.evaluate import T_BUCKETS, Evaluation
from gvcodec.train.flow_phase import MODES

PSNR_TARGET_DB = 30.0
DECODE_TARGET_S = 6.0


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*.safetensors"))


def _parameters(folder: Path, name: str) -> int:
    total = 0
    for path in (folder / name).glob("*.safetensors"):
        with safe_open(path, "pt") as weights:
            for key in weights.keys():
                total += math.prod(weights.get_slice(key).get_shape())
    return total


def _round_lines(number: int, record: dict[str, Any]) -> list[str]:
    lines = [f"- Round {number} ({record['date']}, {record['hardware']}, wall {record.get('wall_seconds', 0):.0f} s):"]
    data = record["data"]
    cut = f" (at most {data['max_frames']} per video)" if data.get("max_frames") else ""
    lines.append(f"  data `{data['folder']}`: {len(data['clips'])} videos, {data['frames']} frames{cut}")
    if "transform" in record:
        tr = record["transform"]
        lines.append(
            f"  transform: PCA of {tr['blocks']} blocks from {tr['windows']} random windows, the basis keeps "
            f"{tr['variance_kept']:.2%} of the block variance ({tr['seconds']:.0f} s)"
        )
    if "vae" in record:
        vae = record["vae"]
        s = vae["schedule"]
        lines.append(
            f"  VAE refinements {vae['seconds']:.0f} s, {vae['steps']} steps, batch {s['batch']} x {s['frames']} frames "
            f"x {s['crop']}^2, AdamW lr {s['lr']} warm-up {s['warmup']:.0%} + cosine, loss MSE; last batch "
            f"{vae['last_psnr']:.2f} dB"
        )
    if "latents" in record:
        lat = record["latents"]
        lines.append(
            f"  latent mean and global scale ({lat['scale']:.4f}) and the prior's spectrum measured on "
            f"{lat['cache_items']} windows of {lat['frames']} frames x {lat['crop'][0]}x{lat['crop'][1]}"
        )
    if "flow" in record:
        flow = record["flow"]
        s = flow["schedule"]
        lines.append(
            f"  flow {flow['seconds']:.0f} s, {flow['steps']} steps, batch {s['batch']}, AdamW lr {s['lr']}, "
            f"t = shift(sigmoid(n), {s['shift']}) with n ~ N(0, 1) (logit-normal, shifted), condition uniform over "
            f"T2V / I2V / FLF2V; last batch loss {flow['last_loss']:.4f}"
        )
    return lines


def render_card(folder: Path, evaluation: Evaluation, eval_name: str, samples: str | None) -> str:
    """The model card text."""
    history: list[dict[str, Any]] = json.loads((folder / HISTORY_FILE).read_text(encoding="utf-8"))
    vae_config = json.loads((folder / "vae" / "config.json").read_text(encoding="utf-8"))
    tr_config = json.loads((folder / "transformer" / "config.json").read_text(encoding="utf-8"))
    prior_config = json.loads((folder / "prior" / "config.json").read_text(encoding="utf-8"))
    gpu_seconds = sum(r.get("wall_seconds", 0.0) for r in history if r["hardware"] != "cpu")
    cpu_seconds = sum(r.get("wall_seconds", 0.0) for r in history if r["hardware"] == "cpu")
    weights_mb = _folder_bytes(folder) / 1e6
    r, s, z = vae_config["scale_factor_temporal"], vae_config["scale_factor_spatial"], vae_config["z_dim"]
    lines = [
        "# nano: gvcodec's built-in video model (v2)",
        "",
        "A small rectified-flow video model trained by `python -m gvcodec.train` on `../shared/trainvideos` only "
        "(never on the evaluation clips). Its latent space starts where linear algebra already is: a block PCA "
        "refined by small learned networks; its velocity field is the closed form of a Gaussian prior on that "
        "latent plus a transformer trained on the residual. It is a plain generator: no compression loss was used.",
        "",
        "## Architecture",
        f"- VAE (`BlockTransformVAE`, {_parameters(folder, 'vae') / 1e6:.2f} M parameters): {r}-frame {s}x{s}-pixel "
        f"RGB blocks ({3 * r * s * s} values) -> {z} channels by an orthonormal PCA basis fitted on training blocks, "
        f"plus an encoder refinement (1x1 conv to {vae_config['encoder_width']} channels, 3x3x3 conv to {z}) and a "
        f"decoder refinement (3x3x3 conv to {vae_config['decoder_width']} channels, two 1x1 convs back to the block), "
        "both initialised to zero. The first frame is a still block of its own (causal first frame: F = 4k + 1 "
        f"frames give k + 1 latent frames). Latents are normalised by one global scale, keeping the PCA's variance "
        "ordering.",
        f"- Prior (`GaussianLatentPrior`): per channel, a table of log-variances of the latent's 3-D DCT coefficients "
        f"on a {' x '.join(str(g) for g in prior_config['grid'])} frequency grid (interpolated to any size); its "
        "posterior velocity is closed-form.",
        f"- Transformer (`WanTransformer3DModel`, {_parameters(folder, 'transformer') / 1e6:.2f} M parameters): "
        f"{tr_config['num_layers']} layers, {tr_config['num_attention_heads']} heads x {tr_config['attention_head_dim']}, "
        f"ffn {tr_config['ffn_dim']}, patch {tr_config['patch_size']}, {tr_config['in_channels']} input channels "
        f"({z} noisy latent + 4 frame mask + {z} condition latent), text_dim {tr_config['text_dim']} fed one zero "
        "token (`null_context`): prompts are not supported. Its output is added to the prior's velocity; its output "
        "layer started at zero.",
        f"- Pixel multiple {s * tr_config['patch_size'][1]}; weights safetensors (learned weights fp16, basis and "
        f"spectrum fp32), {weights_mb:.1f} MB.",
        "",
        "## Training",
        f"Cumulative wall time: GPU {gpu_seconds:.0f} s, CPU {cpu_seconds:.0f} s (data loading included).",
        "",
    ]
    for number, record in enumerate(history, start=1):
        lines += _round_lines(number, record)
    lines += [
        "",
        f"## Evaluation on `{eval_name}` (never trained on)",
        "VAE reconstruction PSNR (RGB, [-1, 1] range = 8-bit peak, posterior mean, the first 4k + 1 <= 33 "
        f"frames of each clip): **mean {evaluation.mean_psnr:.2f} dB** "
        f"(target {PSNR_TARGET_DB:.0f} dB: {'met' if evaluation.mean_psnr >= PSNR_TARGET_DB else 'not met'}).",
        "",
        "| clip | size | frames | PSNR dB |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {c.name} | {c.size[0]}x{c.size[1]} | {c.frames} | {c.psnr:.2f} |" for c in evaluation.clips]
    curve = evaluation.frame_curve()
    lines += [
        "",
        "Reconstruction PSNR by frame position (mean over the clips, positions that every clip reaches): "
        + ", ".join(f"{position}: {value:.2f}" for position, value in enumerate(curve))
        + f"; first to last {curve[-1] - curve[0]:+.2f} dB.",
    ]
    header = " | ".join(f"t in [{lo:.1f}, {hi:.1f})" for lo, hi in T_BUCKETS)
    lines += [
        "",
        "Validation flow-matching loss `|v - (eps - x0)|^2` per t-bucket (mean over clips, fixed noise, "
        "2 t per bucket, frames cropped to the pixel multiple):",
        "",
        f"| mode | {header} |",
        "| --- |" + " --- |" * len(T_BUCKETS),
    ]
    for mode in MODES:
        lines.append(f"| {mode} | " + " | ".join(f"{v:.4f}" for v in evaluation.mean_flow_loss(mode)) + " |")
    lines += [
        "",
        f"CPU decode of one {evaluation.gop[0]}-frame {evaluation.gop[2]}x{evaluation.gop[1]} GOP "
        f"({evaluation.decode_threads} threads, 20 velocity calls (transformer + prior) + VAE "
        f"decode, fastest of repeated runs): **{evaluation.decode_seconds:.1f} s** "
        f"({evaluation.transformer_call_seconds:.2f} s per transformer call, VAE decode "
        f"{evaluation.vae_decode_seconds:.1f} s; target {DECODE_TARGET_S:.0f} s).",
    ]
    if samples is not None:
        lines += [
            "",
            f"Samples (`{samples}`, 20-step ODE, rows: eval clip, I2V from its first frame, FLF2V from its "
            "first and last frame, T2V from noise):",
            "",
            f"![samples]({samples})",
        ]
    lines += [
        "",
        "## Reproduce / continue",
        "```",
        "python -m gvcodec.train --data ../shared/trainvideos --out weights/nano [--minutes M; then --resume runs/nano]",
        "python -m gvcodec.train --data ../shared/trainvideos --out weights/nano --device cuda --resume weights/nano",
        "python -m gvcodec.train --eval-only --out weights/nano --eval-data ../shared/testvideos",
        "```",
        "",
    ]
    return "\n".join(lines)
