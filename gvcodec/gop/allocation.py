"""How many atoms each (coded step, latent frame) of a GOP keeps: fixed, or chosen for a target bitrate.

Fixed: ``M`` everywhere and ``M_tail`` on the last latent frames (DESIGN.md §2, adaptive allocation).
Target bitrate: :class:`gvcodec.rate.BitrateController` spends the GOP's share of the budget, after the
GOP's framing and its already coded anchors.
"""
from __future__ import annotations

from dataclasses import dataclass

from container import GopPacket, encode_packet
from gvcodec.errors import InputError
from gvcodec.gop.geometry import GopGeometry
from gvcodec.gop.trajectory import CodingParams, tail_atom_counts
from gvcodec.rate import BitrateController


def framing_bytes(params: CodingParams, latent_frames: int) -> int:
    """Packet bytes of a GOP besides its choices, anchors and residual (exact: they depend on geometry only)."""
    cells = params.sampler.coded_steps * latent_frames
    skeleton = GopPacket(
        gop_index=0,
        first_frame=0,
        frame_count=1,
        anchors=(),
        coded_steps=params.sampler.coded_steps,
        latent_frames=latent_frames,
        atom_counts=(1,) * cells,
        choices=b"",
        residual=b"",
    )
    return len(encode_packet(skeleton))


@dataclass
class AtomAllocation:
    """Atom counts of each GOP in turn; ``controller`` set means a target bitrate, else fixed counts."""

    params: CodingParams
    tail_frames: int
    tail_atoms: int
    controller: BitrateController | None = None

    def counts(self, geometry: GopGeometry, anchor_bytes: int) -> tuple[int, ...]:
        """Atom counts of the GOP of ``geometry``, step-major; a target bitrate pays its anchors first."""
        latent_frames = geometry.latent_frames
        if self.controller is None:
            return tail_atom_counts(self.params, latent_frames, min(self.tail_frames, latent_frames), self.tail_atoms)
        cells = self.params.sampler.coded_steps * latent_frames
        return self.controller.atoms_for_gop(
            geometry.new_frames, cells, framing_bytes(self.params, latent_frames) + anchor_bytes
        )

    def record(self, packet_bytes: int) -> None:
        """Account for a GOP packet as written."""
        if self.controller is not None:
            self.controller.record(packet_bytes)


def check_reachable(controller: BitrateController, full_gop: GopGeometry, params: CodingParams) -> None:
    """``InputError`` unless a full GOP can be coded at ``controller.target_bpp`` with 1 to ``max_atoms`` atoms."""
    cells = params.sampler.coded_steps * full_gop.latent_frames
    lowest, highest = controller.reachable_bpp(full_gop.span, cells, framing_bytes(params, full_gop.latent_frames))
    if not lowest <= controller.target_bpp <= highest:
        raise InputError(
            f"--target-bpp {controller.target_bpp} is outside the rates this geometry can reach, "
            f"{lowest:.5f} to {highest:.5f} bpp (1 to {controller.max_atoms} atoms per step and latent frame at "
            f"{controller.width}x{controller.height}, GOP {full_gop.span}); change --codebook, --steps or --gop to reach it"
        )
