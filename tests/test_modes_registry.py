"""The mode registry: one entry per mode module, the container's mode ids agree, capabilities decide support."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from container.schema import MODES as CONTAINER_MODES
from gvcodec.errors import InputError
from gvcodec.modes import MODES, mode_named


@dataclass(frozen=True)
class Model:
    anchored: bool
    image_anchors: int


def test_every_mode_of_the_container_is_registered_under_its_own_name() -> None:
    assert list(MODES) == list(CONTAINER_MODES)
    assert all(mode.name == name for name, mode in MODES.items())


@pytest.mark.parametrize(
    ("model", "supported"),
    [
        (Model(anchored=False, image_anchors=0), {"t2v"}),
        (Model(anchored=True, image_anchors=0), {"t2v", "i2v", "flf2v"}),
        (Model(anchored=True, image_anchors=1), {"i2v"}),
        (Model(anchored=True, image_anchors=2), {"flf2v"}),
    ],
)
def test_a_backbones_capabilities_decide_which_modes_it_codes(model: Model, supported: set[str]) -> None:
    assert {name for name, mode in MODES.items() if mode.unsupported_by(model) is None} == supported


def test_an_unknown_mode_name_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InputError, match="choose one of t2v, i2v, flf2v"):
        mode_named("v2v")


def test_anchored_modes_say_why_a_backbone_cannot_code_them() -> None:
    from types import SimpleNamespace

    from gvcodec.modes import MODES

    t2v_only = SimpleNamespace(anchored=False, image_anchors=0)
    assert "text-to-video only" in MODES["i2v"].unsupported_by(t2v_only)
    assert MODES["flf2v"].unsupported_by(SimpleNamespace(anchored=True, image_anchors=0)) is None
    assert MODES["i2v"].unsupported_by(SimpleNamespace(anchored=True, image_anchors=2)) == (
        "conditions every GOP on CLIP tokens of 2 anchor frames, i2v has one"
    )
    assert MODES["flf2v"].unsupported_by(SimpleNamespace(anchored=True, image_anchors=1)) == (
        "conditions every GOP on CLIP tokens of 1 anchor frame, flf2v has two"
    )
