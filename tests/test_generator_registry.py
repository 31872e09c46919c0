"""The atom-generator registry: ids pinned, the container agrees, and the option and help come from it."""
from __future__ import annotations

from container.schema import ATOM_GENERATOR, SUPPORTED_ATOM_GENERATORS
from gvcodec.codebook import DEFAULT_GENERATOR, GENERATORS, generator_list
from gvcodec.options import choices_of


def test_the_container_names_exactly_the_registered_generators_and_the_same_default() -> None:
    assert SUPPORTED_ATOM_GENERATORS == tuple(GENERATORS)
    assert ATOM_GENERATOR == DEFAULT_GENERATOR


def test_the_generator_ids_and_names_are_pinned() -> None:
    assert {id: generator.name for id, generator in GENERATORS.items()} == {1: "dense", 2: "shifted"}


def test_the_encoder_option_offers_every_registered_generator_and_names_them() -> None:
    assert choices_of("atom_generator") == tuple(GENERATORS)
    assert generator_list() == "1 dense (slow search), 2 shifted (FFT search)"
