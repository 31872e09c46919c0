"""Evaluate a model folder and write its samples grid and MODEL_CARD.md."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from gvcodec.errors import InputError
from gvcodec.train.card import render_card
from gvcodec.train.evaluate import Evaluation, centre_crop, evaluate_folder, load_models, read_gop
from gvcodec.train.preview import sample_rows, write_grid

CARD_FILE = "MODEL_CARD.md"
SAMPLES_FILE = "samples.png"
EVALUATION_FILE = "evaluation.json"
PREVIEW_CLIP = "bear_448x256"
SMOKE_CLIP = "carphone_176x144"


def evaluate_and_describe(folder: Path, eval_data: Path, smoke: bool = False) -> None:
    """Evaluate ``folder`` on ``eval_data``; write ``evaluation.json``, ``samples.png`` and ``MODEL_CARD.md`` into it.

    With ``smoke``: one small clip, 5 frames, a small GOP timed once: a check that the pipeline works,
    not a measure.
    """
    if not eval_data.is_dir():
        raise InputError(f"evaluation folder {eval_data} does not exist")
    if smoke:
        evaluation = evaluate_folder(folder, eval_data, 5, names=(SMOKE_CLIP,), repeats=1, gop=(5, 64, 64))
    else:
        evaluation = evaluate_folder(folder, eval_data)
    (folder / EVALUATION_FILE).write_text(json.dumps(asdict(evaluation), indent=1) + "\n", encoding="utf-8")
    describe(folder, eval_data, evaluation, smoke)


def describe(folder: Path, eval_data: Path, evaluation: Evaluation, smoke: bool = False) -> None:
    """Write ``samples.png`` (from the preview clip of ``eval_data``) and ``MODEL_CARD.md`` for ``evaluation``."""
    preview = eval_data / f"{SMOKE_CLIP if smoke else PREVIEW_CLIP}.y4m"
    if not preview.is_file():
        raise InputError(f"preview clip {preview} is missing from the evaluation folder")
    models = load_models(folder)
    clip = centre_crop(read_gop(preview, 5 if smoke else 33), 8 * models[1].config.patch_size[1])
    write_grid(sample_rows(models, clip, t2v_seeds=(0,) if smoke else (0, 1)), folder / SAMPLES_FILE)
    (folder / CARD_FILE).write_text(render_card(folder, evaluation, eval_data.name, SAMPLES_FILE), encoding="utf-8")
