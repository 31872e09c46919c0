"""All latent frames of a step in one batch: the same choices and the same bits as one frame at a time."""
from __future__ import annotations

import pytest
import torch

import gvcodec.codebook.mixing as mixing
from gvcodec.codebook import (
    DENSE_GENERATOR,
    SHIFTED_GENERATOR,
    AtomChoice,
    AtomKey,
    dense_atoms,
    frame_scores,
    mix_frames,
    search_frames,
    torch_dense_atoms,
)
from gvcodec.codebook.dense import dense_atom_rows, torch_dense_atom_rows
from gvcodec.codebook.mixing import frame_groups, sign_matrix
from gvcodec.errors import InputError
from tests.helpers import mix_atoms, search_atoms

GENERATORS = [DENSE_GENERATOR, SHIFTED_GENERATOR]


def step_keys(generator: int, frames: int = 4, step: int = 5) -> list[AtomKey]:
    return [AtomKey(seed=99, gop=2, step=step, frame=frame, generator=generator) for frame in range(frames)]


def gaps(frames: int, dim: int) -> torch.Tensor:
    return torch.randn(frames, dim, generator=torch.Generator().manual_seed(frames * dim))


@pytest.mark.parametrize("generator", GENERATORS)
@pytest.mark.parametrize("dim,codebook_size", [(96, 1000), (3000, 2048)])
def test_a_batch_of_frames_searches_and_mixes_as_frames_one_by_one(
    generator: int, dim: int, codebook_size: int
) -> None:
    keys = step_keys(generator)
    targets = gaps(len(keys), dim)
    counts = [1, 17, 5, 64]
    batched = search_frames(keys, targets, codebook_size, counts)
    alone = [search_atoms(key, target, codebook_size, count) for key, target, count in zip(keys, targets, counts)]
    assert batched == alone
    mixed = mix_frames(keys, batched, dim)
    assert mixed.dtype == torch.float32 and mixed.shape == (len(keys), dim)
    assert torch.equal(mixed, torch.stack([mix_atoms(key, choice, dim) for key, choice in zip(keys, batched)]))


@pytest.mark.parametrize("generator", GENERATORS)
def test_grouping_frames_into_launches_changes_no_bit(generator: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """One product per frame (CPU-sized chunks) and one for the whole step (GPU-sized) give the same noise."""
    keys = step_keys(generator, frames=6)
    dim = 640
    choices = search_frames(keys, gaps(6, dim), 4096, [3, 40, 40, 7, 1, 25])
    results = []
    for elements in (1, 10 * dim, 1 << 30):
        monkeypatch.setitem(mixing.MIX_CHUNK_ELEMENTS, "cpu", elements)
        results.append(mix_frames(keys, choices, dim))
    assert all(torch.equal(result, results[0]) for result in results[1:])


def test_frame_groups_fill_each_launch_and_never_split_a_frame() -> None:
    assert frame_groups([2, 2, 2, 2], dim=10, elements=40) == [(0, 2), (2, 4)]
    assert frame_groups([5, 1, 1], dim=10, elements=20) == [(0, 1), (1, 3)]
    assert frame_groups([3], dim=10, elements=1) == [(0, 1)]
    assert frame_groups([], dim=10, elements=40) == []


def test_the_sign_matrix_is_block_diagonal() -> None:
    choices = [AtomChoice((4, 9), (1, -1)), AtomChoice((0,), (-1,)), AtomChoice((1, 2, 3), (1, 1, -1))]
    expected = torch.tensor(
        [[1, -1, 0, 0, 0, 0], [0, 0, -1, 0, 0, 0], [0, 0, 0, 1, 1, -1]], dtype=torch.float64
    )
    assert torch.equal(sign_matrix(choices), expected)


def test_dense_rows_of_several_keys_are_each_keys_own_atoms() -> None:
    keys = step_keys(DENSE_GENERATOR, frames=3)
    indices = [(0, 7), (7,), (16383, 2, 5)]
    expected = torch.cat([dense_atoms(key, torch.tensor(rows), 100) for key, rows in zip(keys, indices)])
    assert torch.equal(dense_atom_rows(keys, indices, 100), expected)
    assert torch.equal(torch_dense_atom_rows(keys, indices, 100), expected)
    one_by_one = [torch_dense_atoms(key, torch.tensor(rows), 100) for key, rows in zip(keys, indices)]
    assert torch.equal(torch.cat(one_by_one), expected)


def test_a_batch_must_share_one_philox_key_and_one_generator() -> None:
    other_seed = [AtomKey(seed=99, gop=2, step=0, frame=0, generator=DENSE_GENERATOR),
                  AtomKey(seed=98, gop=2, step=0, frame=1, generator=DENSE_GENERATOR)]
    with pytest.raises(InputError, match="share seed and GOP"):
        dense_atom_rows(other_seed, [(0,)] * 2, 16)
    mixed = [step_keys(DENSE_GENERATOR, 1)[0], step_keys(SHIFTED_GENERATOR, 1)[0]]
    with pytest.raises(InputError, match="one generator"):
        frame_scores(mixed, gaps(2, 16), 64)


def test_a_batch_needs_one_gap_count_and_choice_per_key() -> None:
    keys = step_keys(SHIFTED_GENERATOR, frames=2)
    with pytest.raises(InputError, match="gaps of shape"):
        search_frames(keys, gaps(3, 16), 64, [1, 1])
    with pytest.raises(InputError, match="one atom count per key"):
        search_frames(keys, gaps(2, 16), 64, [1])
    with pytest.raises(InputError, match="one atom choice per key"):
        mix_frames(keys, [AtomChoice((0,), (1,))], 16)
    with pytest.raises(InputError, match="no atoms"):
        mix_frames(keys, [AtomChoice((0,), (1,)), AtomChoice((), ())], 16)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("generator", GENERATORS)
def test_a_batched_step_mixes_the_same_bits_on_cuda(generator: int) -> None:
    keys = step_keys(generator, frames=9)
    dim = 16 * 32 * 56
    choices = search_frames(keys, gaps(9, dim), 16384, [64] * 8 + [200])
    assert torch.equal(mix_frames(keys, choices, dim, "cuda").cpu(), mix_frames(keys, choices, dim, "cpu"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("generator", GENERATORS)
def test_mixing_a_step_never_waits_for_the_device(generator: int) -> None:
    """The mix only queues kernels, so on a GPU it runs behind the model call instead of stalling the host."""
    keys = step_keys(generator, frames=9)
    dim = 16 * 32 * 56
    choices = search_frames(keys, gaps(9, dim), 16384, [64] * 9)
    mix_frames(keys, choices, dim, "cuda")  # builds the per-device tables once
    torch.cuda.set_sync_debug_mode("error")
    try:
        mix_frames(keys, choices, dim, "cuda")
    finally:
        torch.cuda.set_sync_debug_mode("default")
