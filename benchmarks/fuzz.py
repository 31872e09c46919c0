"""A long fuzz campaign over the stream reader and the decoder: mutations of the golden streams of every mode.

    python benchmarks/fuzz.py --cases 100000 --decode-every 20 --out benchmarks/results/DATE-fuzz/fuzz.json

Each case mutates one golden stream (``tests/data/golden``, every mode and atom generator): a bit flip, a cut
(first every offset inside each header, then random offsets), a 1-, 2- or 4-byte field set to 0, 1 or all
ones with its CRC re-signed, or a packet dropped, repeated, swapped or spliced in from another stream.
Every case goes through the stream reader and the unpacking of each packet's atom choices; every
``--decode-every``-th case is decoded in full with the tiny random models (``gvcodec.testing.tiny_wan``),
which also runs the anchors, the tail residual and the model. A case is timed in CPU seconds of this process
(the machine is shared: wall time says more about the other jobs); one over ``--hang-after`` CPU seconds counts
as a hang, and an interval timer stops a case after ``--stop-after`` wall seconds (also a hang).

Outcomes: ``ok-identical`` (the stream still reads, or decodes, to what the original does), ``ok-changed`` (a
re-signed field edit that makes a different but valid stream: crafted, not damaged), ``accepted-splice`` (a
packet of another stream in the place of one with the same GOP index and frames: valid, since packets carry no
stream identity), ``accepted-damage`` (a flip, cut or packet drop, repeat or swap that reads or decodes into
something else with no error: the failure this campaign looks for), ``refused:<error type>``,
``crash:<exception type>`` and ``hang``.

Every case also goes through ``gvc-dec --ignore-errors``'s path (``read_stream_past_damage``, and on the decoded
cases ``decode_past_damage``), whose outcomes are ``ok`` (every frame the header declares is written, decoded or
concealed), ``incomplete``, ``refused:<error type>`` (a damaged header, a model mismatch), crashes and hangs.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gvcodec.backbones import Backbone, load_backbone  # noqa: E402
from gvcodec.codebook import unpack_choices  # noqa: E402
from gvcodec.codec import Decoder, read_stream, read_stream_past_damage  # noqa: E402
from gvcodec.concealment import ConcealedGop, IgnoredData, decode_past_damage  # noqa: E402
from gvcodec.errors import GvcError, StreamError  # noqa: E402
from gvcodec.testing.stream_mutations import (  # noqa: E402
    FIELD_VALUES,
    FIELD_WIDTHS,
    PACKET_EDITS,
    field_edit,
    flipped,
    header_size,
    packets_edited,
)
from gvcodec.testing.tiny_wan import write_tiny_wan  # noqa: E402

GOLDEN = REPO / "tests" / "data" / "golden"
RANDOM_KINDS = ("flip", "cut", "field", *PACKET_EDITS)
# Which tiny model decodes which mode: the golden streams were encoded so (tests/test_golden_streams.py).
MODEL_VARIANTS = {"t2v": "t2v", "i2v": "nano", "flf2v": "nano"}
DECODER_MEMORY = 1 << 30
FAILURES = ("crash", "hang", "accepted-damage", "incomplete")
# A re-signed field edit is a crafted, valid stream; a packet of another stream put in the place of one with the
# same GOP index and frames is valid too, since packets carry no stream identity.
CHANGED_OUTCOMES = {"field": "ok-changed", "splice": "accepted-splice"}


class CaseTimeout(Exception):
    """Raised by the interval timer inside a case that runs past ``--stop-after``."""


@dataclass(frozen=True)
class Case:
    """One mutated stream: which seed stream, what was done to it, and its bytes."""

    number: int
    seed: str
    kind: str
    detail: str
    data: bytes


@dataclass(frozen=True)
class Outcome:
    name: str
    seconds: float
    message: str = ""
    located: bool = True


def header_cuts(seeds: dict[str, bytes]) -> Iterator[tuple[str, str, str, bytes]]:
    """Every stream cut at every offset inside its header."""
    for name, stream in seeds.items():
        for cut in range(header_size(stream)):
            yield name, "cut", f"header offset {cut}", stream[:cut]


def random_mutation(seeds: dict[str, bytes], rng: np.random.Generator) -> tuple[str, str, str, bytes]:
    names = list(seeds)
    name = names[int(rng.integers(len(names)))]
    stream = seeds[name]
    kind = RANDOM_KINDS[int(rng.integers(len(RANDOM_KINDS)))]
    offset = int(rng.integers(len(stream)))
    if kind == "flip":
        bit = int(rng.integers(8))
        return name, kind, f"byte {offset} bit {bit}", flipped(stream, offset, bit)
    if kind == "cut":
        return name, kind, f"offset {offset}", stream[:offset]
    if kind == "field":
        width = FIELD_WIDTHS[int(rng.integers(len(FIELD_WIDTHS)))]
        value = FIELD_VALUES[int(rng.integers(len(FIELD_VALUES)))]
        return name, kind, f"{width} bytes at {offset} = {value}", field_edit(stream, offset, width, value)
    donor = seeds[names[int(rng.integers(len(names)))]]
    return name, kind, "", packets_edited(stream, donor, kind, rng)


def cases(seeds: dict[str, bytes], count: int, seed: int) -> Iterator[Case]:
    """``count`` cases: the header cuts first, then random mutations from a generator seeded by ``seed``."""
    rng = np.random.default_rng(seed)
    number = 0
    for name, kind, detail, data in header_cuts(seeds):
        if number == count:
            return
        yield Case(number, name, kind, detail, data)
        number += 1
    while number < count:
        yield Case(number, *random_mutation(seeds, rng))
        number += 1


def read_front_end(stream: bytes) -> tuple:
    """What the decoder reads before its model: the header and every packet, with atom choices unpacked."""
    header, packets = read_stream(io.BytesIO(stream))
    read = []
    for packet in packets:
        try:
            unpack_choices(packet.choices, packet.atom_counts, header.sampler.codebook_size)
        except StreamError as error:
            error.gop_index = packet.gop_index  # as the decoder places it
            raise
        read.append(packet)
    return header, tuple(read)


def decode_digest(stream: bytes, backbones: dict[str, Backbone]) -> str:
    """SHA-256 of every frame the decoder gives for ``stream``, in a budget of ``DECODER_MEMORY`` bytes."""
    header, packets = read_stream(io.BytesIO(stream))
    decoder = Decoder(header, backbone=backbones[header.mode], quiet=True, max_memory=DECODER_MEMORY)
    digest = hashlib.sha256()
    for packet in packets:
        for frame in decoder.decode_yuv(packet):
            digest.update(frame.to_bytes())
    return digest.hexdigest()


@contextlib.contextmanager
def stopped_after(seconds: float) -> Iterator[None]:
    """Raise :class:`CaseTimeout` in the body once ``seconds`` have passed."""

    def stop(signum: int, frame: object) -> None:
        raise CaseTimeout

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class Reference:
    """What an original stream reads and decodes to."""

    read: tuple
    digest: str


def run_case(case: Case, decode: bool, references: dict[str, Reference], backbones: dict[str, Backbone],
             stop_after: float, hang_after: float) -> Outcome:
    """The default decoder's outcome on one case: what it reads (and, with ``decode``, decodes) or refuses."""
    reference = references[case.seed]

    def outcome() -> str:
        same = read_front_end(case.data) == reference.read
        if decode:
            same = decode_digest(case.data, backbones) == reference.digest
        return "ok-identical" if same else CHANGED_OUTCOMES.get(case.kind, "accepted-damage")

    return timed(outcome, stop_after, hang_after)


def run_past_damage(case: Case, decode: bool, backbones: dict[str, Backbone], stop_after: float,
                    hang_after: float) -> Outcome:
    """``gvc-dec --ignore-errors`` on one case: reading past damage (and, with ``decode``, decoding and concealing)
    must end without a crash, with every frame the header declares accounted for."""

    def outcome() -> str:
        header, items = read_stream_past_damage(io.BytesIO(case.data))
        if not decode:
            for _ in items:
                pass
            return "ok"
        decoder = Decoder(header, backbone=backbones[header.mode], quiet=True, max_memory=DECODER_MEMORY)
        frames = 0
        for gop in decode_past_damage(header, items, decoder):
            if isinstance(gop, ConcealedGop) and "\n" in gop.reason:
                return "crash:multi-line reason"
            frames += 0 if isinstance(gop, IgnoredData) else len(gop.frames)
        return "ok" if header.frame_count in (None, frames) else "incomplete"

    return timed(outcome, stop_after, hang_after)


def timed(body: Callable[[], str], stop_after: float, hang_after: float) -> Outcome:
    """Run one case; its time is CPU seconds (the machine is shared, so wall time says more about the others)."""
    started = time.process_time()
    try:
        with stopped_after(stop_after):
            name = body()
    except CaseTimeout:
        return Outcome("hang", time.process_time() - started, "stopped")
    except GvcError as error:
        located = not isinstance(error, StreamError) or error.gop_index is not None or error.offset is not None
        message = str(error)
        name = f"refused:{type(error).__name__}"
        if "\n" in message:
            name = f"crash:multi-line {type(error).__name__}"
        return Outcome(name, time.process_time() - started, message, located)
    except Exception as error:  # noqa: BLE001 -- any other exception is what the campaign counts as a crash
        return Outcome(f"crash:{type(error).__name__}", time.process_time() - started, str(error)[:300])
    seconds = time.process_time() - started
    if seconds > hang_after:
        return Outcome("hang", seconds, "finished, but past the hang limit")
    return Outcome(name, seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--decode-every", type=int, default=20, help="decode every N-th case in full (default 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stop-after", type=float, default=60.0, help="wall seconds after which a case is stopped")
    parser.add_argument("--hang-after", type=float, default=2.0, help="CPU seconds past which a case counts as a hang")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    seeds = {path.stem: path.read_bytes() for path in sorted(GOLDEN.glob("*.gvc"))}
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        backbones = {
            mode: load_backbone(str(write_tiny_wan(Path(folder) / variant, variant=variant)))
            for mode, variant in MODEL_VARIANTS.items()
        }
        references = {
            name: Reference(read_front_end(stream), decode_digest(stream, backbones)) for name, stream in seeds.items()
        }
        outcomes: Counter[str] = Counter()
        past_damage: Counter[str] = Counter()
        by_kind: dict[str, Counter[str]] = {}
        examples: dict[str, dict] = {}
        failures: list[dict] = []
        unlocated, unlocated_examples = 0, []
        slowest: dict = {"seconds": 0.0}
        decoded = 0
        for case in cases(seeds, args.cases, args.seed):
            decode = case.number % args.decode_every == 0
            decoded += decode
            record = {"case": case.number, "seed": case.seed, "kind": case.kind, "detail": case.detail, "decoded": decode}
            for path, outcome in (
                ("default", run_case(case, decode, references, backbones, args.stop_after, args.hang_after)),
                ("past-damage", run_past_damage(case, decode, backbones, args.stop_after, args.hang_after)),
            ):
                result = {**record, "path": path, "outcome": outcome.name, "seconds": round(outcome.seconds, 4),
                          "message": outcome.message}
                if path == "default":
                    outcomes[outcome.name] += 1
                    by_kind.setdefault(case.kind, Counter())[outcome.name] += 1
                else:
                    past_damage[outcome.name] += 1
                examples.setdefault(f"{path} {outcome.name}", result)
                if outcome.name.startswith(FAILURES) and len(failures) < 50:
                    failures.append(result)
                if not outcome.located:
                    unlocated += 1
                    unlocated_examples.extend([result][: len(unlocated_examples) < 20])
                if outcome.seconds > slowest["seconds"]:
                    slowest = result
            if (case.number + 1) % 5000 == 0:
                print(f"{case.number + 1} cases, {time.monotonic() - started:.0f} s: {dict(outcomes)}", file=sys.stderr)
    result = {
        "cases": args.cases,
        "decoded_in_full": decoded,
        "seed_streams": list(seeds),
        "outcomes": dict(outcomes.most_common()),
        "outcomes_by_kind": {kind: dict(counter.most_common()) for kind, counter in by_kind.items()},
        "past_damage_outcomes": dict(past_damage.most_common()),
        "refusals_without_gop_or_offset": unlocated,
        "unlocated_examples": unlocated_examples,
        "failures": failures,
        "slowest_case": slowest,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "wall_seconds": round(time.monotonic() - started, 1),
        "examples": examples,
    }
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    print(text)
    return 1 if any(name.startswith(FAILURES) for name in (*outcomes, *past_damage)) else 0


if __name__ == "__main__":
    sys.exit(main())
