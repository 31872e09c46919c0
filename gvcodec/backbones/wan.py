"""The ``wan`` backbone: a diffusers Wan2.1 model folder (or our nano model, same classes) from a local path.

The VAE always runs in float32 (it bounds the codec's quality and the latent the encoder aims at), and so
does the CLIP image encoder of I2V-14B / FLF2V-14B folders (as diffusers' model cards load it); the
transformer and the text encoder run in the requested dtype. Latents are normalised per channel,
``(z - latents_mean) / latents_std``, as Wan's pipelines do.

On CUDA the transformer's float32 stays exact float32 (the decoder replays its calls), while the VAE may
use TF32 tensor cores: a VAE pass is done once, not iterated, so its rounding does not compound (the
720p VAE runs 3.6x faster; BENCHMARKS.md gives the cross-device drift it costs).
"""
from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

import torch
from diffusers import AutoencoderKLWan, WanTransformer3DModel
from safetensors import SafetensorError
from transformers import (
    AutoTokenizer,
    CLIPImageProcessorPil,
    CLIPVisionModel,
    PreTrainedTokenizerBase,
    UMT5EncoderModel,
)

from gvcodec.backbones.base import Condition
from gvcodec.backbones.block_vae import BlockTransformVAE
from gvcodec.backbones.conditioning import (
    anchor_video,
    condition_channels,
    frame_mask,
    latent_frame_count,
    null_context,
)
from gvcodec.backbones.fingerprint import folder_fingerprint
from gvcodec.backbones.gaussian_prior import GaussianLatentPrior
from gvcodec.backbones.image import image_context
from gvcodec.backbones.layout import PRIOR_FOLDER, WanLayout, read_layout
from gvcodec.backbones.text import clean_prompt, prompt_context
from gvcodec.errors import InputError, ModelError

# diffusers' Wan convention: the transformer's timestep is t * 1000.
TIMESTEP_SCALE = 1000.0
PROMPT_CACHE_SIZE = 8
VAE_CLASSES = {"AutoencoderKLWan": AutoencoderKLWan, "BlockTransformVAE": BlockTransformVAE}


class WanBackbone:
    """A loaded Wan2.1-layout model: VAE, transformer, optional UMT5 text encoder and CLIP image encoder."""

    def __init__(
        self,
        layout: WanLayout,
        name: str,
        fingerprint: bytes,
        transformer: WanTransformer3DModel,
        vae: AutoencoderKLWan | BlockTransformVAE,
        text: tuple[PreTrainedTokenizerBase, UMT5EncoderModel] | None,
        image: tuple[CLIPImageProcessorPil, CLIPVisionModel] | None,
        device: torch.device,
        dtype: torch.dtype,
        prior: GaussianLatentPrior | None = None,
    ) -> None:
        self.layout = layout
        self.name = name
        self.fingerprint = fingerprint
        self.latent_channels = layout.latent_channels
        self.temporal_factor = layout.temporal_factor
        self.pixel_multiple = layout.pixel_multiple
        self.max_positions = int(transformer.config.rope_max_seq_len)
        self.accepts_prompt = text is not None
        self.anchored = layout.anchored
        self.image_anchors = layout.image_anchors
        self.device = device
        self.dtype = dtype
        self.transformer = transformer
        self.vae = vae
        self.text = text
        self.image = image
        self.prior = prior
        shape = (1, layout.latent_channels, 1, 1, 1)
        self._latents_mean = torch.tensor(vae.config.latents_mean, dtype=torch.float32, device=device).view(shape)
        self._latents_std = torch.tensor(vae.config.latents_std, dtype=torch.float32, device=device).view(shape)
        self._contexts: OrderedDict[str, torch.Tensor] = OrderedDict()

    def encode_video(self, video: torch.Tensor) -> torch.Tensor:
        """Normalised posterior mean ``(mu(video) - latents_mean) / latents_std``, shape ``(C, F', h, w)``: the
        encoder's target (TF32 allowed on CUDA)."""
        self._check_video(video)
        with tf32_allowed(self.device):
            return self._posterior_mean(video)

    def _posterior_mean(self, video: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            posterior = self.vae.encode(video.to(self.device, torch.float32)[None]).latent_dist
            latent = (posterior.mean - self._latents_mean) / self._latents_std
        return latent[0].contiguous()

    def decode_latent(self, latent: torch.Tensor) -> torch.Tensor:
        """``clamp(D(latent * latents_std + latents_mean), -1, 1)``, shape ``(3, F, H, W)`` float32."""
        if latent.dim() != 4 or latent.shape[0] != self.latent_channels:
            raise InputError(
                f"latent of shape {tuple(latent.shape)} cannot be decoded by {self.name}: "
                f"expected ({self.latent_channels}, F', h, w)"
            )
        with torch.no_grad(), tf32_allowed(self.device):
            z = latent.to(self.device, torch.float32)[None] * self._latents_std + self._latents_mean
            video = self.vae.decode(z).sample
        return video[0].float().clamp(-1.0, 1.0)

    def condition(
        self,
        prompt: str,
        num_frames: int,
        height: int,
        width: int,
        first: torch.Tensor | None = None,
        last: torch.Tensor | None = None,
    ) -> Condition:
        """Text context; for a 36-channel transformer ``cat([frame_mask, cond_latent])``; with an image
        encoder the CLIP tokens of the anchors (see :func:`gvcodec.backbones.image.image_context`).

        ``cond_latent`` is the normalised latent of ``anchor_video(first, last, F)`` when an anchor is
        given, zeros otherwise (T2V on an anchored model: mask and latent all zero). A model with an image
        encoder needs exactly its anchors: the first frame (I2V-14B) or the first and last (FLF2V-14B), as
        diffusers' WanImageToVideoPipeline, which refuses to run without an image.
        """
        latent_frames = self._latent_frames(num_frames)
        self._check_size(height, width)
        anchors = [frame for frame in (first, last) if frame is not None]
        if anchors and not self.layout.anchored:
            raise InputError(
                f"model {self.name} is text-to-video only ({self.layout.in_channels}-channel transformer): "
                "it cannot be conditioned on anchor frames; use mode t2v or an I2V-layout model"
            )
        for frame in anchors:
            if tuple(frame.shape) != (3, height, width):
                raise InputError(f"anchor frame of shape {tuple(frame.shape)}: expected (3, {height}, {width})")
        h, w = height // self.layout.spatial_factor, width // self.layout.spatial_factor
        latent_shape = (self.latent_channels, latent_frames, h, w)
        image = self._image_tokens(first, last)
        context = self._context(prompt)
        if not self.layout.anchored:
            return Condition(context=context, extra=None, image=None, latent_shape=latent_shape)
        if anchors:
            video = anchor_video(
                None if first is None else first.to(self.device, torch.float32),
                None if last is None else last.to(self.device, torch.float32),
                num_frames,
            )
            # Both sides feed it to every model call, so it stays exact float32 (no TF32).
            cond_latent = self._posterior_mean(video)
        else:
            cond_latent = torch.zeros(latent_shape, device=self.device)
        mask = frame_mask(num_frames, h, w, first is not None, last is not None, self.temporal_factor)
        extra = condition_channels(mask.to(self.device), cond_latent).to(self.dtype)
        return Condition(context=context, extra=extra, image=image, latent_shape=latent_shape)

    def velocity(self, x: torch.Tensor, t: float, condition: Condition) -> torch.Tensor:
        """``u(x_t, t)``: the transformer on ``cat([x_t, extra])`` at timestep ``1000 t``, with the condition's
        text context and image tokens, as float32; plus the Gaussian prior's velocity when the folder has
        ``prior/`` (nano v2: the transformer predicts the residual over that closed form)."""
        if tuple(x.shape) != condition.latent_shape:
            raise InputError(
                f"latent of shape {tuple(x.shape)} does not match its condition, built for {condition.latent_shape}"
            )
        hidden = x.to(self.device, self.dtype)[None]
        if condition.extra is not None:
            hidden = torch.cat([hidden, condition.extra[None]], dim=1)
        timestep = torch.tensor([t * TIMESTEP_SCALE], device=self.device, dtype=torch.float32)
        with torch.no_grad():
            out = self.transformer(
                hidden_states=hidden,
                timestep=timestep,
                encoder_hidden_states=condition.context,
                encoder_hidden_states_image=condition.image,
                return_dict=False,
            )[0]
            if self.prior is not None:
                prior_time = torch.tensor([t], device=self.device, dtype=torch.float64)
                out = out.float() + self.prior.velocity(x.to(self.device, torch.float32)[None], prior_time)
        return out[0].float()

    def _image_tokens(self, first: torch.Tensor | None, last: torch.Tensor | None) -> torch.Tensor | None:
        """CLIP tokens of the anchors for a model with an image encoder, ``None`` for any other model."""
        if self.image is None:
            return None
        expected = ("first",) if self.layout.image_anchors == 1 else ("first", "last")
        given = tuple(role for role, frame in (("first", first), ("last", last)) if frame is not None)
        if given != expected:
            raise InputError(
                f"model {self.name} conditions every GOP on CLIP image tokens of its {' and '.join(expected)} "
                f"anchor frame{'s' if len(expected) > 1 else ''} (Wan2.1 {'FL' if len(expected) > 1 else 'I'}2V-14B "
                f"layout), got {' and '.join(given) or 'no anchor'}"
            )
        processor, encoder = self.image
        return image_context(processor, encoder, [first, last][: len(expected)], self.device, self.dtype)

    def _context(self, prompt: str) -> torch.Tensor:
        """Text context for ``prompt``; the last few are cached because every GOP of a stream reuses one."""
        if self.text is None:
            if clean_prompt(prompt):
                raise InputError(
                    f"model {self.name} has no text encoder, so it cannot take a prompt (got {prompt!r}); "
                    "leave the prompt empty or use a Wan2.1 T2V folder with text_encoder/ and tokenizer/"
                )
            return null_context(self.layout.text_dim, self.device, self.dtype)
        if prompt not in self._contexts:
            tokenizer, encoder = self.text
            self._contexts[prompt] = prompt_context(tokenizer, encoder, prompt, self.device, self.dtype)
            while len(self._contexts) > PROMPT_CACHE_SIZE:
                self._contexts.popitem(last=False)
        self._contexts.move_to_end(prompt)
        return self._contexts[prompt]

    def _latent_frames(self, num_frames: int) -> int:
        try:
            return latent_frame_count(num_frames, self.temporal_factor)
        except ValueError:
            raise InputError(
                f"{num_frames} frames cannot be coded by {self.name}: expected {self.temporal_factor}k + 1 frames"
            ) from None

    def _check_size(self, height: int, width: int) -> None:
        if height <= 0 or width <= 0 or height % self.pixel_multiple or width % self.pixel_multiple:
            raise InputError(
                f"frame size {width}x{height} is not supported by {self.name}: width and height must be "
                f"positive multiples of {self.pixel_multiple} (pad the frames first)"
            )

    def _check_video(self, video: torch.Tensor) -> None:
        if video.dim() != 4 or video.shape[0] != 3:
            raise InputError(f"video of shape {tuple(video.shape)}: expected (3, F, H, W) RGB")
        self._latent_frames(video.shape[1])
        self._check_size(video.shape[2], video.shape[3])


@contextlib.contextmanager
def tf32_allowed(device: torch.device) -> Iterator[None]:
    """Within the block, float32 matmuls and convolutions on CUDA may use TF32 (restored afterwards)."""
    if device.type != "cuda":
        yield
        return
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def configure_cuda_replay(device: torch.device) -> None:
    """On CUDA, make model calls repeatable and close to the CPU's: the decoder must replay the encoder's
    model calls bit for bit (no autotuned convolution choice), and a stream decoded on another device
    drifts less when float32 stays float32 (no TF32 matmuls or convolutions)."""
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False


def load_wan(folder: Path, name: str, device: torch.device, dtype: torch.dtype) -> WanBackbone:
    """Load a checked Wan2.1-layout folder from local files only (never the hub)."""
    layout = read_layout(folder)
    fingerprint = folder_fingerprint(folder, *layout.fingerprint_inputs())
    configure_cuda_replay(device)
    try:
        transformer = WanTransformer3DModel.from_pretrained(
            folder / "transformer", torch_dtype=dtype, local_files_only=True
        )
        vae = VAE_CLASSES[layout.vae_class].from_pretrained(
            folder / "vae", torch_dtype=torch.float32, local_files_only=True
        )
        prior = None
        if layout.has_prior:
            prior = GaussianLatentPrior.from_pretrained(
                folder / PRIOR_FOLDER, torch_dtype=torch.float32, local_files_only=True
            ).to(device)
        text = None
        if layout.has_text_encoder:
            tokenizer = AutoTokenizer.from_pretrained(folder / "tokenizer", local_files_only=True)
            encoder = UMT5EncoderModel.from_pretrained(folder / "text_encoder", dtype=dtype, local_files_only=True)
            text = (tokenizer, encoder.to(device).eval())
        image = None
        if layout.image_anchors:
            processor = CLIPImageProcessorPil.from_pretrained(folder / "image_processor", local_files_only=True)
            image_encoder = CLIPVisionModel.from_pretrained(
                folder / "image_encoder", dtype=torch.float32, local_files_only=True
            )
            image = (processor, image_encoder.to(device).eval())
    except (OSError, ValueError, SafetensorError) as error:
        raise ModelError(f"model folder {folder} could not be loaded: {error}") from error
    # Hashed again once loaded: the fingerprint must be of the bytes the models were built from.
    if folder_fingerprint(folder, *layout.fingerprint_inputs()) != fingerprint:
        raise ModelError(f"model folder {folder} changed while it was being loaded; load it again once it is stable")
    return WanBackbone(
        layout=layout,
        name=name,
        fingerprint=fingerprint,
        transformer=transformer.to(device).eval(),
        vae=vae.to(device).eval(),
        text=text,
        image=image,
        device=device,
        dtype=dtype,
        prior=prior,
    )
