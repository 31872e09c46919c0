"""The text context of Wan2.1: UMT5 hidden states of the prompt, as diffusers' WanPipeline builds them."""
from __future__ import annotations

import html
import re

import torch
from transformers import PreTrainedTokenizerBase

CONTEXT_TOKENS = 512


def clean_prompt(prompt: str) -> str:
    """Unescape HTML entities (twice, as Wan does) and collapse runs of whitespace to one space.

    Wan's pipelines also run ``ftfy`` when it happens to be installed; we do not, because the prompt is
    part of the bitstream and its context must not depend on which optional packages a decoder has.
    """
    return re.sub(r"\s+", " ", html.unescape(html.unescape(prompt))).strip()


def prompt_context(
    tokenizer: PreTrainedTokenizerBase,
    text_encoder: torch.nn.Module,
    prompt: str,
    device: torch.device,
    dtype: torch.dtype,
    tokens: int = CONTEXT_TOKENS,
) -> torch.Tensor:
    """UMT5 context ``(1, tokens, d_model)``: the last hidden state of the real tokens, zero-padded.

    ``context[0, :n] = encoder(ids, mask).last_hidden_state[0, :n]`` with ``n`` the prompt's token count
    (end-of-sequence included, at most ``tokens``); ``context[0, n:] = 0``.
    """
    encoded = tokenizer(
        [clean_prompt(prompt)],
        padding="max_length",
        max_length=tokens,
        truncation=True,
        add_special_tokens=True,
        return_attention_mask=True,
        return_tensors="pt",
    )
    ids = encoded["input_ids"].to(device)
    mask = encoded["attention_mask"].to(device)
    length = int(mask.gt(0).sum())
    with torch.no_grad():
        hidden = text_encoder(ids, mask).last_hidden_state.to(dtype)
    context = torch.zeros(1, tokens, hidden.shape[-1], device=device, dtype=dtype)
    context[0, :length] = hidden[0, :length]
    return context
