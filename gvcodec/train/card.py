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
DECODE_TARGET_S = 30.0


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
    if "vae" in record:
        vae = record["vae"]
        s = vae["schedule"]
        lines.append(
            f"  VAE {vae['seconds']:.0f} s, {vae['steps']} steps ({vae['image_steps']} single-frame steps, batch "
            f"{s['image_batch']} x {s['image_crop']}^2; then batch {s['video_batch']} x {s['video_frames']} frames x "
            f"{s['video_crop']}^2, temporal stride 1-2, flips), AdamW lr {s['lr']} warm-up {s['warmup']:.0%} + cosine, "
            f"loss MSE + {s['l1_weight']} L1 + {s['kl_weight']} KL; last batch {vae['last_psnr']:.2f} dB"
        )
    if "latents" in record:
        lat = record["latents"]
        lines.append(
            f"  latent mean/std measured on {lat['cache_items']} cached windows of {lat['frames']} frames x "
            f"{lat['crop'][0]}x{lat['crop'][1]}"
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
    gpu_seconds = sum(r.get("wall_seconds", 0.0) for r in history if r["hardware"] != "cpu")
    cpu_seconds = sum(r.get("wall_seconds", 0.0) for r in history if r["hardware"] == "cpu")
    weights_mb = _folder_bytes(folder) / 1e6
    lines = [
        "# nano: gvcodec's built-in video model",
        "",
        "A small rectified-flow video generator (diffusers `AutoencoderKLWan` + `WanTransformer3DModel`, Wan2.1 "
        "I2V layout, no text encoder) trained from scratch by `python -m gvcodec.train` on "
        "`../shared/trainvideos` only. It is a plain generator: no compression loss was used.",
        "",
        "## Architecture",
        f"- VAE: {_parameters(folder, 'vae') / 1e6:.2f} M parameters; 2x2 pixel patches (12 channels), "
        f"base_dim {vae_config['base_dim']}, decoder_base_dim {vae_config['decoder_base_dim']}, dim_mult "
        f"{vae_config['dim_mult']}, {vae_config['num_res_blocks']} res blocks, z_dim {vae_config['z_dim']}: "
        f"{vae_config['scale_factor_spatial']}x spatial, {vae_config['scale_factor_temporal']}x temporal compression.",
        f"- Transformer: {_parameters(folder, 'transformer') / 1e6:.2f} M parameters; {tr_config['num_layers']} layers, "
        f"{tr_config['num_attention_heads']} heads x {tr_config['attention_head_dim']}, ffn {tr_config['ffn_dim']}, "
        f"patch {tr_config['patch_size']}, {tr_config['in_channels']} input channels (16 noisy latent + 4 frame mask "
        f"+ 16 condition latent), text_dim {tr_config['text_dim']} fed one zero token (`null_context`): "
        "prompts are not supported.",
        f"- Pixel multiple {8 * tr_config['patch_size'][1]}; weights fp16 safetensors, {weights_mb:.1f} MB.",
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
        f"({evaluation.decode_threads} threads, 20 transformer calls + VAE "
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
        "python -m gvcodec.train --data ../shared/trainvideos --out weights/nano --device cuda "
        "--vae-seconds 300 --flow-seconds 150 [--resume weights/nano]",
        "python -m gvcodec.train --eval-only --out weights/nano --eval-data ../shared/testvideos",
        "```",
        "",
    ]
    return "\n".join(lines)
