"""Reading and checking a diffusers Wan2.1 model folder before any weight is loaded.

Supported layouts (subfolders of the model folder):
- Wan2.1 T2V: ``transformer/`` (16 input channels), ``vae/``, ``text_encoder/`` (UMT5), ``tokenizer/``;
- nano: ``transformer/`` (36 input channels: 16 noisy + 4 frame mask + 16 condition latent), ``vae/``,
  no text encoder;
- nano v2: the nano layout with a ``BlockTransformVAE`` in ``vae/`` (block transform + refinements) and a
  ``GaussianLatentPrior`` in ``prior/``, whose closed-form velocity the transformer's output is added to;
- Wan2.1 I2V-14B / FLF2V-14B (diffusers ``WanImageToVideoPipeline``): the 36-channel transformer with
  ``image_dim`` set, ``vae/``, ``text_encoder/``, ``tokenizer/``, ``image_encoder/`` (CLIPVisionModel) and
  ``image_processor/`` (CLIPImageProcessor). The transformer takes the CLIP tokens of one anchor (I2V) or,
  when its ``pos_embed_seq_len`` is ``2 T`` for ``T`` tokens per image, of the first and last (FLF2V).
A transformer without ``image_dim`` may come with or without a text encoder.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from gvcodec.backbones.model_files import check_config_values, check_safetensors
from gvcodec.errors import ModelError

SAFETENSORS = ".safetensors"
WEIGHT_SUFFIXES = (SAFETENSORS, ".bin", ".pt", ".pth", ".ckpt")
PROCESSOR_CONFIG = "preprocessor_config.json"
# The diffusers Wan VAE encodes the first frame alone, then chunks of exactly 4 frames; the frame mask
# folds 4 pixel frames into the MASK_CHANNELS channels of one latent frame. Every model this release loads
# has this factor, so GOP lengths (4k + 1) are checked before any model is loaded.
SUPPORTED_TEMPORAL_FACTOR = 4
MASK_CHANNELS = SUPPORTED_TEMPORAL_FACTOR
VAE_CLASSES = ("AutoencoderKLWan", "BlockTransformVAE")
PRIOR_FOLDER = "prior"
# diffusers' WanAttnProcessor splits the context of an image-encoder transformer at this many text tokens.
IMAGE_MODEL_TEXT_TOKENS = 512


@dataclass(frozen=True)
class WanLayout:
    """What a checked model folder holds and the latent geometry it implies."""

    folder: Path
    in_channels: int
    latent_channels: int
    temporal_factor: int
    spatial_factor: int
    spatial_patch: int
    text_dim: int
    has_text_encoder: bool
    image_anchors: int
    vae_class: str = "AutoencoderKLWan"
    has_prior: bool = False

    @property
    def anchored(self) -> bool:
        """Whether the transformer takes the frame mask and condition latent (36-channel Wan I2V layout)."""
        return self.in_channels != self.latent_channels

    @property
    def pixel_multiple(self) -> int:
        """Frame sides must be multiples of ``VAE spatial factor x transformer spatial patch``."""
        return self.spatial_factor * self.spatial_patch

    @property
    def model_subfolders(self) -> tuple[str, ...]:
        """The subfolders holding a config and weights that the backbone loads."""
        return (
            ("transformer", "vae")
            + ((PRIOR_FOLDER,) if self.has_prior else ())
            + (("text_encoder",) if self.has_text_encoder else ())
            + (("image_encoder",) if self.image_anchors else ())
        )

    def fingerprint_inputs(self) -> tuple[list[Path], list[Path]]:
        """The config files and the content files (weights, tokenizer) that identify this model.

        The image processor's config is one of the configs: it decides the pixels the CLIP encoder sees.
        """
        configs = [self.folder / name / "config.json" for name in self.model_subfolders]
        if self.image_anchors:
            configs.append(self.folder / "image_processor" / PROCESSOR_CONFIG)
        contents = [path for name in self.model_subfolders for path in _weight_files(self.folder / name)]
        if self.has_text_encoder:
            contents += [
                path
                for path in sorted((self.folder / "tokenizer").rglob("*"))
                if path.is_file() and not path.name.startswith(".")
            ]
        return configs, contents


def read_layout(folder: Path) -> WanLayout:
    """Check ``folder`` against the supported layouts; raise :class:`ModelError` saying what is wrong."""
    if not folder.exists():
        raise ModelError(f"model folder {folder} does not exist")
    if not folder.is_dir():
        raise ModelError(f"model path {folder} is not a folder: expected a diffusers model folder")
    transformer = _read_config(folder, "transformer")
    vae = _read_config(folder, "vae")
    has_text = (folder / "text_encoder").is_dir()
    if has_text != (folder / "tokenizer").is_dir():
        present, missing = ("text_encoder", "tokenizer") if has_text else ("tokenizer", "text_encoder")
        raise ModelError(f"model folder {folder} has {present}/ but no {missing}/: a text encoder needs both")
    text_encoder = _read_config(folder, "text_encoder") if has_text else None
    has_image = (folder / "image_encoder").is_dir()
    if has_image != (folder / "image_processor").is_dir():
        present, missing = ("image_encoder", "image_processor") if has_image else ("image_processor", "image_encoder")
        raise ModelError(
            f"model folder {folder} has {present}/ but no {missing}/: a CLIP image encoder (Wan2.1 I2V-14B / "
            "FLF2V-14B layout) needs both"
        )

    latent_channels, temporal_factor, spatial_factor = _check_vae(folder, vae)
    has_prior = (folder / PRIOR_FOLDER).is_dir()
    if has_prior:
        _check_prior(folder, _read_config(folder, PRIOR_FOLDER), latent_channels)
    in_channels, spatial_patch, text_dim = _check_transformer(folder, transformer, latent_channels)
    if text_encoder is not None and text_encoder.get("d_model") != text_dim:
        raise ModelError(
            f"model folder {folder}: text_encoder d_model {text_encoder.get('d_model')} does not match the "
            f"transformer's text_dim {text_dim}"
        )
    image_anchors = 0
    if has_image or transformer.get("image_dim") is not None:
        image_anchors = _check_image_encoder(folder, transformer, in_channels != latent_channels, has_text)
    optional = ((PRIOR_FOLDER, has_prior), ("text_encoder", has_text), ("image_encoder", has_image))
    for name in ("transformer", "vae") + tuple(name for name, present in optional if present):
        weights = _weight_files(folder / name)
        if not weights:
            raise ModelError(
                f"model folder {folder}: {name}/ has no weight file (expected *.safetensors from save_pretrained)"
            )
        for path in weights:
            if path.suffix != SAFETENSORS:
                raise ModelError(
                    f"model file {path} is a pickled checkpoint, which can run code when loaded: only "
                    f"*{SAFETENSORS} weights are read (convert it with save_pretrained(safe_serialization=True))"
                )
            check_safetensors(path)
    return WanLayout(
        folder=folder,
        in_channels=in_channels,
        latent_channels=latent_channels,
        temporal_factor=temporal_factor,
        spatial_factor=spatial_factor,
        spatial_patch=spatial_patch,
        text_dim=text_dim,
        has_text_encoder=has_text,
        image_anchors=image_anchors,
        vae_class=vae.get("_class_name", "AutoencoderKLWan"),
        has_prior=has_prior,
    )


def _read_config(folder: Path, name: str, filename: str = "config.json") -> dict:
    path = folder / name / filename
    if not (folder / name).is_dir():
        raise ModelError(f"model folder {folder} has no {name}/ subfolder (expected a diffusers Wan2.1 layout)")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"model folder {folder}: {name}/{filename} is missing") from None
    except (OSError, ValueError) as error:
        raise ModelError(f"model folder {folder}: {name}/{filename} cannot be read as JSON ({error})") from error
    if not isinstance(config, dict):
        raise ModelError(f"model folder {folder}: {name}/{filename} is not a JSON object")
    check_config_values(path, config)
    return config


def _require_int(folder: Path, name: str, config: dict, key: str, default: int | None = None) -> int:
    value = config.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ModelError(f"model folder {folder}: {name}/config.json needs an integer {key!r}, found {value!r}")
    return value


def _check_vae(folder: Path, config: dict) -> tuple[int, int, int]:
    """``(latent channels, temporal factor, spatial factor)`` of a supported AutoencoderKLWan config."""
    class_name = config.get("_class_name", "AutoencoderKLWan")
    if class_name not in VAE_CLASSES:
        raise ModelError(f"model folder {folder}: vae/ is a {class_name}, expected one of {', '.join(VAE_CLASSES)}")
    patch = config.get("patch_size")
    if patch is not None and (not isinstance(patch, int) or patch < 1):
        raise ModelError(f"model folder {folder}: vae/config.json has patch_size {patch!r}; expected a positive integer")
    z_dim = _require_int(folder, "vae", config, "z_dim")
    temporal = _require_int(folder, "vae", config, "scale_factor_temporal", SUPPORTED_TEMPORAL_FACTOR)
    spatial = _require_int(folder, "vae", config, "scale_factor_spatial", 8)
    if temporal != SUPPORTED_TEMPORAL_FACTOR:
        raise ModelError(
            f"model folder {folder}: vae/ has temporal factor {temporal}; expected {SUPPORTED_TEMPORAL_FACTOR}"
        )
    for key in ("latents_mean", "latents_std"):
        values = config.get(key)
        if not isinstance(values, list) or len(values) != z_dim:
            raise ModelError(f"model folder {folder}: vae/config.json needs {key} with {z_dim} values")
    return z_dim, temporal, spatial


def _check_prior(folder: Path, config: dict, latent_channels: int) -> None:
    """A ``GaussianLatentPrior`` config for the VAE's latent channels."""
    class_name = config.get("_class_name")
    if class_name != "GaussianLatentPrior":
        raise ModelError(f"model folder {folder}: prior/ is a {class_name}, expected a GaussianLatentPrior")
    channels = _require_int(folder, PRIOR_FOLDER, config, "channels")
    if channels != latent_channels:
        raise ModelError(
            f"model folder {folder}: prior/ models {channels} latent channels, the VAE has {latent_channels}"
        )


def _check_transformer(folder: Path, config: dict, latent_channels: int) -> tuple[int, int, int]:
    """``(in_channels, spatial patch, text_dim)`` of a supported WanTransformer3DModel config."""
    class_name = config.get("_class_name", "WanTransformer3DModel")
    if class_name != "WanTransformer3DModel":
        raise ModelError(f"model folder {folder}: transformer/ is a {class_name}, expected a WanTransformer3DModel")
    in_channels = _require_int(folder, "transformer", config, "in_channels")
    out_channels = config.get("out_channels") or in_channels
    text_dim = _require_int(folder, "transformer", config, "text_dim")
    patch = config.get("patch_size")
    if not (isinstance(patch, list) and len(patch) == 3 and all(isinstance(p, int) for p in patch)):
        raise ModelError(f"model folder {folder}: transformer/config.json needs patch_size [t, h, w], found {patch!r}")
    if patch[0] != 1:
        raise ModelError(
            f"model folder {folder}: transformer temporal patch {patch[0]} is not supported; expected 1 "
            "(one token row per latent frame)"
        )
    if patch[1] != patch[2]:
        raise ModelError(f"model folder {folder}: transformer spatial patch {patch[1:]} is not square")
    if out_channels != latent_channels:
        raise ModelError(
            f"model folder {folder}: transformer out_channels {out_channels} does not match the VAE's "
            f"{latent_channels} latent channels"
        )
    anchored = 2 * latent_channels + MASK_CHANNELS
    if in_channels not in (latent_channels, anchored):
        raise ModelError(
            f"model folder {folder}: transformer in_channels {in_channels} is not a supported layout; expected "
            f"{latent_channels} (T2V) or {anchored} (latent + frame mask + condition latent, Wan I2V layout)"
        )
    return in_channels, patch[1], text_dim


def _check_image_encoder(folder: Path, transformer: dict, anchored: bool, has_text: bool) -> int:
    """How many anchor frames the transformer embeds through the CLIP image encoder: 1 (I2V) or 2 (FLF2V).

    Each image gives ``T = (image_size / patch_size)^2 + 1`` tokens (257 for ViT-H/14 at 224 pixels). An
    FLF2V transformer adds a learned position embedding to the ``2 T`` tokens of first and last frame, so
    its ``pos_embed_seq_len`` is ``2 T``; an I2V transformer has none and takes the ``T`` tokens of one frame.
    """
    image_dim = transformer.get("image_dim")
    if image_dim is None:
        raise ModelError(
            f"model folder {folder} has image_encoder/ and image_processor/, but its transformer takes no CLIP "
            "image embeddings (image_dim is unset in transformer/config.json): remove them or use the "
            "transformer of a Wan2.1 I2V-14B / FLF2V-14B folder"
        )
    if not (folder / "image_encoder").is_dir():
        raise ModelError(
            f"model folder {folder}: the transformer expects CLIP image embeddings (image_dim {image_dim!r}) but "
            "the folder has no image_encoder/ and image_processor/ (a Wan2.1 I2V-14B / FLF2V-14B folder has both)"
        )
    image_dim = _require_int(folder, "transformer", transformer, "image_dim")
    if not anchored:
        raise ModelError(
            f"model folder {folder}: the transformer takes CLIP image embeddings but not the frame mask and "
            "condition latent; a Wan2.1 I2V-14B / FLF2V-14B transformer has both"
        )
    if not has_text:
        raise ModelError(
            f"model folder {folder} has an image encoder but no text_encoder/ and tokenizer/: the transformer "
            f"reads its context as image tokens followed by {IMAGE_MODEL_TEXT_TOKENS} UMT5 text tokens"
        )
    encoder = _read_config(folder, "image_encoder")
    if encoder.get("model_type") != "clip_vision_model":
        raise ModelError(
            f"model folder {folder}: image_encoder/ has model_type {encoder.get('model_type')!r}; expected "
            "'clip_vision_model' (a CLIPVisionModel saved with save_pretrained)"
        )
    hidden = _require_int(folder, "image_encoder", encoder, "hidden_size")
    if hidden != image_dim:
        raise ModelError(
            f"model folder {folder}: image_encoder hidden_size {hidden} does not match the transformer's "
            f"image_dim {image_dim}"
        )
    image_size = _require_int(folder, "image_encoder", encoder, "image_size")
    patch = _require_int(folder, "image_encoder", encoder, "patch_size")
    if patch < 1 or image_size % patch:
        raise ModelError(
            f"model folder {folder}: image_encoder image_size {image_size} is not a multiple of patch_size {patch}"
        )
    _check_image_processor(folder, _read_config(folder, "image_processor", PROCESSOR_CONFIG), image_size)
    tokens = (image_size // patch) ** 2 + 1
    pairs = transformer.get("pos_embed_seq_len")
    if pairs is None:
        return 1
    if pairs == 2 * tokens:
        return 2
    raise ModelError(
        f"model folder {folder}: transformer pos_embed_seq_len {pairs!r} is neither unset (I2V: one anchor) nor "
        f"2 x {tokens} (FLF2V: first and last anchor, {tokens} CLIP tokens each)"
    )


def _check_image_processor(folder: Path, config: dict, image_size: int) -> None:
    """The processor must hand the encoder square ``image_size`` crops, as CLIPImageProcessor does for Wan."""
    crop = config.get("crop_size")
    if isinstance(crop, dict):
        crop = (crop.get("height"), crop.get("width"))
    elif isinstance(crop, int):
        crop = (crop, crop)
    if config.get("do_center_crop", True) is not True or crop != (image_size, image_size):
        raise ModelError(
            f"model folder {folder}: image_processor/{PROCESSOR_CONFIG} must centre-crop to the image encoder's "
            f"{image_size}x{image_size} input; found do_center_crop {config.get('do_center_crop', True)!r}, "
            f"crop_size {config.get('crop_size')!r}"
        )


def _weight_files(folder: Path) -> list[Path]:
    return sorted(
        path for path in folder.rglob("*")
        if path.is_file() and path.name.endswith(WEIGHT_SUFFIXES) and not path.name.startswith(".")
    )
