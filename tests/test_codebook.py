"""Generator 1 (dense) is pinned, atoms are reproducible one at a time, the search is exact, choices pack losslessly."""
from __future__ import annotations

import hashlib
import math
import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gvcodec.codebook import (
    torch_dense_scores,
    DENSE_GENERATOR,
    SHIFTED_GENERATOR,
    INITIAL_NOISE_STEP,
    AtomChoice,
    AtomKey,
    choice_bits,
    gaussian_table,
    generate_atoms,
    initial_noise,
    normal_quantiles,
    pack_choices,
    unpack_choices,
)
from gvcodec.errors import InputError, StreamError
from tests.helpers import mix_atoms, search_atoms

# Generator 1 is bitstream format: these values must never change (a stream written today decodes tomorrow).
TABLE_SHA256 = "8babbcaf96568f10165a1eab530c0e5c92d04de96761b6dbb3dadfa94baba37f"
PINNED_ATOMS = [
    (AtomKey(seed=0, gop=0, step=0, frame=0, generator=DENSE_GENERATOR), 0,
     [1.3377435207366943, -0.25583475828170776, 0.7444327473640442, 1.1775823831558228,
      0.44833406805992126, 0.6301819682121277, 1.0748306512832642, 0.2675507366657257]),
    (AtomKey(seed=0, gop=0, step=0, frame=0, generator=DENSE_GENERATOR), 16383,
     [0.7477673292160034, -0.27811068296432495, 0.13826777040958405, 0.4905277192592621,
      -1.1604636907577515, -1.9537302255630493, -0.4727025330066681, 0.3630530536174774]),
    (AtomKey(seed=20260101, gop=7, step=12, frame=3, generator=DENSE_GENERATOR), 5,
     [-0.34343019127845764, -0.36558717489242554, -1.0051394701004028, -0.14696167409420013,
      0.013329996727406979, -0.2035595178604126, 1.552955150604248, -0.15144816040992737]),
    (AtomKey(seed=20260101, gop=7, step=12, frame=3, generator=DENSE_GENERATOR), 4_000_000_000,
     [0.31094592809677124, -0.5307932496070862, -0.7215660810470581, -0.5098164081573486,
      0.4869503676891327, -0.056389033794403076, 0.054473668336868286, -1.163543939590454]),
]
# initial_noise(42, 1, (2, 3, 2, 2))[:, :, 0, 0], channel-major.
PINNED_INITIAL_NOISE = [
    -0.5187222361564636, 0.29045671224594116, -0.9323694705963135,
    0.872314989566803, 0.8770811557769775, 0.6334040760993958,
]
LATENT_DIM = 16 * 32 * 56


def test_generator_ids_are_pinned() -> None:
    assert (DENSE_GENERATOR, SHIFTED_GENERATOR) == (1, 2)


def test_quantile_table_has_zero_mean_and_exactly_unit_variance() -> None:
    quantiles = normal_quantiles()
    assert len(quantiles) == 65536
    assert all(quantiles[i] == -quantiles[65535 - i] for i in range(32768))
    assert math.fsum(quantiles) == 0.0
    assert math.fsum(q * q for q in quantiles) / 65536 == pytest.approx(1.0, abs=1e-15)
    table = gaussian_table().double()
    assert table.mean().item() == pytest.approx(0.0, abs=1e-12)
    assert table.var(unbiased=False).item() == pytest.approx(1.0, abs=1e-7)  # float32 rounding only


def test_quantile_table_bytes_are_pinned() -> None:
    table = gaussian_table()
    assert table.dtype == torch.float32
    assert hashlib.sha256(table.numpy().astype("<f4").tobytes()).hexdigest() == TABLE_SHA256


@pytest.mark.parametrize(
    "key, index, values", PINNED_ATOMS, ids=["zero-key-first", "zero-key-last", "key-5", "key-4e9"]
)
def test_atom_values_are_pinned(key: AtomKey, index: int, values: list[float]) -> None:
    atom = generate_atoms(key, torch.tensor([index]), 8)[0]
    assert torch.equal(atom, torch.tensor(values, dtype=torch.float32))


def test_atom_is_philox_known_answer_read_through_the_table() -> None:
    # Random123: philox4x32-10 of counter 0, key 0 is (6627e8d5, e169c58d, bc57ac4c, 9b00dbd8); block 0 of
    # atom 0 under AtomKey(0, 0, 0, 0, generator=DENSE_GENERATOR) is that counter, low half of each word first.
    halves = [half for word in (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8) for half in (word & 0xFFFF, word >> 16)]
    atom = generate_atoms(AtomKey(0, 0, 0, 0, generator=DENSE_GENERATOR), torch.tensor([0]), 8)[0]
    assert torch.equal(atom, gaussian_table()[torch.tensor(halves)])


def test_initial_noise_is_pinned_and_is_atom_zero_of_the_reserved_step() -> None:
    noise = initial_noise(42, 1, (2, 3, 2, 2))
    assert noise.shape == (2, 3, 2, 2) and noise.dtype == torch.float32
    assert torch.equal(noise[:, :, 0, 0].reshape(-1), torch.tensor(PINNED_INITIAL_NOISE, dtype=torch.float32))
    for frame in range(3):
        atom = generate_atoms(AtomKey(42, 1, INITIAL_NOISE_STEP, frame, generator=DENSE_GENERATOR), torch.tensor([0]), 8)[0]
        assert torch.equal(noise[:, frame].reshape(-1), atom)


def test_single_atom_equals_the_same_atom_inside_a_batch() -> None:
    key = AtomKey(seed=9, gop=2, step=4, frame=1, generator=DENSE_GENERATOR)
    # 80 atoms of the latent size span several generation chunks.
    indices = torch.tensor([70_000, 3, 2**32 - 1] + list(range(100, 177)))
    batch = generate_atoms(key, indices, LATENT_DIM)
    assert batch.shape == (80, LATENT_DIM) and batch.dtype == torch.float32
    for row in (0, 1, 2, 40, 79):
        assert torch.equal(generate_atoms(key, indices[row : row + 1], LATENT_DIM)[0], batch[row])


def test_shorter_atom_is_a_prefix_of_a_longer_one() -> None:
    key = AtomKey(seed=1, gop=0, step=0, frame=0, generator=DENSE_GENERATOR)
    long = generate_atoms(key, torch.arange(4), 100)
    for dim in (0, 1, 7, 9, 64):
        assert torch.equal(generate_atoms(key, torch.arange(4), dim), long[:, :dim])


def test_generation_is_deterministic_across_calls() -> None:
    key = AtomKey(seed=123, gop=4, step=7, frame=2, generator=DENSE_GENERATOR)
    first = generate_atoms(key, torch.arange(16), 1000)
    assert torch.equal(first, generate_atoms(key, torch.arange(16), 1000))


@pytest.mark.parametrize("field", ["seed", "gop", "step", "frame"])
def test_every_key_field_selects_a_different_codebook(field: str) -> None:
    base = AtomKey(seed=5, gop=6, step=7, frame=8, generator=DENSE_GENERATOR)
    other = AtomKey(**{**base.__dict__, field: getattr(base, field) + 1})
    assert not torch.equal(generate_atoms(base, torch.arange(4), 64), generate_atoms(other, torch.arange(4), 64))


def test_atoms_are_independent_standard_normals() -> None:
    atoms = generate_atoms(AtomKey(seed=77, gop=0, step=3, frame=0, generator=DENSE_GENERATOR), torch.arange(64), 4096).double()
    count = atoms.numel()
    # Standard errors for n = 262144 samples: mean 1/sqrt(n) = 0.002, variance sqrt(2/n) = 0.0028.
    assert abs(atoms.mean().item()) < 5 / math.sqrt(count)
    assert abs(atoms.var().item() - 1.0) < 5 * math.sqrt(2 / count)
    # Correlation of two different atoms over 4096 coordinates has standard error 1/64.
    correlation = torch.corrcoef(atoms)
    off_diagonal = correlation[~torch.eye(64, dtype=torch.bool)]
    assert off_diagonal.abs().max().item() < 5 / 64
    # Neighbouring coordinates (two halves of one Philox word) are uncorrelated too.
    assert abs(torch.mean(atoms[:, 0::2] * atoms[:, 1::2]).item()) < 5 / math.sqrt(count / 2)


def _brute_force_best(key: AtomKey, gap: torch.Tensor, codebook_size: int, atoms: int) -> AtomChoice:
    scores = generate_atoms(key, torch.arange(codebook_size), gap.numel()).double() @ gap.double()
    order = sorted(range(codebook_size), key=lambda k: -abs(scores[k].item()))[:atoms]
    chosen = sorted(order)
    return AtomChoice(tuple(chosen), tuple(-1 if scores[k] < 0 else 1 for k in chosen))


def test_search_picks_the_truly_best_atoms() -> None:
    key = AtomKey(seed=3, gop=1, step=2, frame=5, generator=DENSE_GENERATOR)
    gap = torch.randn(1000, generator=torch.Generator().manual_seed(4))
    choice = search_atoms(key, gap, codebook_size=300, atoms=7)
    assert choice == _brute_force_best(key, gap, 300, 7)


def test_torch_scores_do_not_depend_on_the_batch_size() -> None:
    key = AtomKey(seed=3, gop=1, step=2, frame=5, generator=DENSE_GENERATOR)
    gap = torch.randn(512, generator=torch.Generator().manual_seed(6))
    scores = [torch_dense_scores(key, gap, 300, batch_atoms=size) for size in (1, 7, 512)]
    best = [set(s.abs().topk(16).indices.tolist()) for s in scores]
    assert all(torch.allclose(scores[0], other, rtol=1e-5, atol=1e-4) for other in scores[1:])
    assert best[0] == best[1] == best[2]


def test_search_returns_ascending_indices_and_signs_of_the_scores() -> None:
    key = AtomKey(seed=0, gop=0, step=0, frame=0, generator=DENSE_GENERATOR)
    gap = -generate_atoms(key, torch.tensor([42]), 256)[0]
    choice = search_atoms(key, gap, 100, 3)
    assert 42 in choice.indices
    assert choice.signs[choice.indices.index(42)] == -1
    assert list(choice.indices) == sorted(choice.indices)


def test_search_gives_positive_signs_to_zero_scores() -> None:
    choice = search_atoms(AtomKey(0, 0, 0, 0, generator=DENSE_GENERATOR), torch.zeros(64), 50, 5)
    assert choice.signs == (1, 1, 1, 1, 1)


def test_search_rejects_bad_arguments() -> None:
    key = AtomKey(0, 0, 0, 0, generator=DENSE_GENERATOR)
    with pytest.raises(InputError, match="1-D"):
        search_atoms(key, torch.zeros(2, 8), 10, 2)
    with pytest.raises(InputError, match="atoms <= codebook size"):
        search_atoms(key, torch.zeros(8), 10, 11)
    with pytest.raises(InputError, match="atoms <= codebook size"):
        search_atoms(key, torch.zeros(8), 10, 0)


def test_mix_is_the_normalised_signed_sum_of_the_chosen_atoms() -> None:
    key = AtomKey(seed=8, gop=0, step=1, frame=0, generator=DENSE_GENERATOR)
    choice = AtomChoice(indices=(2, 5, 11), signs=(1, -1, -1))
    atoms = generate_atoms(key, torch.tensor([2, 5, 11]), 300).double()
    expected = ((atoms[0] - atoms[1] - atoms[2]) / math.sqrt(3)).float()
    assert torch.equal(mix_atoms(key, choice, 300), expected)


def test_mix_has_unit_variance() -> None:
    key = AtomKey(seed=8, gop=3, step=1, frame=2, generator=DENSE_GENERATOR)
    rng = random.Random(0)
    indices = tuple(sorted(rng.sample(range(16384), 64)))
    signs = tuple(rng.choice((1, -1)) for _ in indices)
    z = mix_atoms(key, AtomChoice(indices, signs), LATENT_DIM).double()
    assert z.shape == (LATENT_DIM,)
    # Coordinates are independent N(0, 1): SE of the variance over 28672 of them is sqrt(2/28672) = 0.0084.
    assert abs(z.var().item() - 1.0) < 5 * math.sqrt(2 / LATENT_DIM)
    assert abs(z.mean().item()) < 5 / math.sqrt(LATENT_DIM)


def test_mix_of_a_searched_choice_correlates_with_the_gap() -> None:
    key = AtomKey(seed=2, gop=0, step=0, frame=0, generator=DENSE_GENERATOR)
    gap = torch.randn(4096, generator=torch.Generator().manual_seed(1))
    z = mix_atoms(key, search_atoms(key, gap, 2048, 32), 4096)
    assert torch.dot(z, gap).item() > 0.2 * gap.norm().item() * z.norm().item()


def test_mix_refuses_an_empty_choice() -> None:
    with pytest.raises(InputError, match="no atoms"):
        mix_atoms(AtomKey(0, 0, 0, 0, generator=DENSE_GENERATOR), AtomChoice((), ()), 8)


def test_atom_key_and_choice_reject_values_outside_the_format() -> None:
    with pytest.raises(InputError, match="step"):
        AtomKey(seed=0, gop=0, step=0x10000, frame=0, generator=DENSE_GENERATOR)
    with pytest.raises(InputError, match="frame"):
        AtomKey(seed=0, gop=0, step=0, frame=-1, generator=DENSE_GENERATOR)
    with pytest.raises(InputError, match="ascending"):
        AtomChoice(indices=(3, 3), signs=(1, 1))
    with pytest.raises(InputError, match="signs"):
        AtomChoice(indices=(1, 2), signs=(1, 0))
    with pytest.raises(InputError, match="pair up"):
        AtomChoice(indices=(1, 2), signs=(1,))


def test_pack_writes_rank_then_sign_bits_msb_first() -> None:
    # K = 5: {1, 3} has rank C(1,1) + C(3,2) = 4 in ceil(log2 10) = 4 bits -> 0100, signs (+, -) -> 01;
    # {0} has rank 0 in ceil(log2 5) = 3 bits -> 000, sign (-) -> 1. 0100 01 000 1 + 6 zero bits.
    payload = pack_choices([AtomChoice((1, 3), (1, -1)), AtomChoice((0,), (-1,))], 5)
    assert payload == bytes([0b01000100, 0b01000000])


def test_default_choices_cost_664_bits_each() -> None:
    rng = random.Random(2)
    choices = [
        AtomChoice(tuple(sorted(rng.sample(range(16384), 64))), tuple(rng.choice((1, -1)) for _ in range(64)))
        for _ in range(9)
    ]
    assert choice_bits(16384, 64) == 664
    assert len(pack_choices(choices, 16384)) == 9 * 664 // 8
    assert unpack_choices(pack_choices(choices, 16384), [64] * 9, 16384) == choices


@st.composite
def choice_lists(draw: st.DrawFn) -> tuple[int, list[AtomChoice]]:
    codebook_size = draw(st.integers(min_value=1, max_value=1 << 20))
    counts = draw(st.lists(st.integers(min_value=0, max_value=min(codebook_size, 300)), max_size=6))
    rng = random.Random(draw(st.integers(min_value=0, max_value=2**32)))
    choices = [
        AtomChoice(
            tuple(sorted(rng.sample(range(codebook_size), count))), tuple(rng.choice((1, -1)) for _ in range(count))
        )
        for count in counts
    ]
    return codebook_size, choices


@settings(max_examples=40, deadline=None)
@given(choice_lists())
def test_unpack_inverts_pack(case: tuple[int, list[AtomChoice]]) -> None:
    codebook_size, choices = case
    counts = [len(choice.indices) for choice in choices]
    payload = pack_choices(choices, codebook_size)
    assert len(payload) == -(-sum(choice_bits(codebook_size, count) for count in counts) // 8)
    assert unpack_choices(payload, counts, codebook_size) == choices


def test_unpack_rejects_a_payload_of_the_wrong_length() -> None:
    payload = pack_choices([AtomChoice((1, 3), (1, -1))], 16)
    with pytest.raises(StreamError, match="need exactly"):
        unpack_choices(payload + b"\x00", [2], 16)
    with pytest.raises(StreamError, match="need exactly"):
        unpack_choices(payload[:-1], [2], 16)


def test_unpack_rejects_non_zero_padding() -> None:
    payload = pack_choices([AtomChoice((1, 3), (1, -1))], 16)  # 7 + 2 bits -> 7 padding bits
    with pytest.raises(StreamError, match="padding"):
        unpack_choices(payload[:-1] + bytes([payload[-1] | 1]), [2], 16)


def test_unpack_rejects_a_rank_beyond_the_set_count() -> None:
    # K = 5, M = 2: ranks need 4 bits but only 0..9 exist; 1111 is damage.
    with pytest.raises(StreamError, match="exceeds"):
        unpack_choices(bytes([0b11110000]), [2], 5)


def test_unpack_rejects_an_atom_count_larger_than_the_codebook() -> None:
    with pytest.raises(StreamError, match="does not fit"):
        unpack_choices(b"", [6], 5)
