"""The recipe that trains gvcodec's own small video model, "nano", and writes ``weights/nano``.

Run it with ``python -m gvcodec.train --data DIR --out DIR ...`` (see :mod:`gvcodec.train.cli`).
Phases: VAE (image-first, then video clips) -> latent statistics and latent cache -> rectified-flow
transformer -> export (fp16 safetensors, diffusers layout) -> optional evaluation and model card.
"""
