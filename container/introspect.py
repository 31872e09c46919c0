"""Reading the ``construct`` schema as data: type names, the field list, and value checks before a build.

Only the constructs ``schema.py`` uses are known here; a new kind in the schema fails loudly
(``TypeError``) until it is taught here, so the specification and the checks never skip a field.
"""
from __future__ import annotations

import numbers
import re
from collections.abc import Iterator, Mapping, Sequence

from construct import Array, Bytes, Const, Construct, Container, Enum, FormatField, Rebuild, Renamed, Struct
from construct.core import evaluate

from container.errors import FieldValueError, MalformedStreamError
from container.limits import LIMITS

_UNSIGNED_BITS = {"<B": 8, "<H": 16, "<L": 32, "<Q": 64}
_FLOATS = {"<d": "f64"}


def strip_names(con: Construct) -> Construct:
    """The construct under its ``Renamed`` layers (field name and documentation)."""
    while isinstance(con, Renamed):
        con = con.subcon
    return con


def expression_text(expr: object) -> str:
    """A length or count expression as the specification writes it: ``this['a'] * 2`` -> ``a * 2``."""
    text = re.sub(r"this\['(\w+)'\]", r"\1", repr(expr))
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text


def type_name(con: Construct) -> str:
    """The on-disk type of a field, e.g. ``u16``, ``bytes[32]``, ``u8 enum {t2v=0, i2v=1}``."""
    con = strip_names(con)
    if isinstance(con, Const):
        return f"{type_name(con.subcon)} = {con.value.hex(' ')}"
    if isinstance(con, Rebuild):
        return type_name(con.subcon)
    if isinstance(con, Enum):
        codes = sorted(con.encmapping.items(), key=lambda item: item[1])
        return f"{type_name(con.subcon)} enum {{{', '.join(f'{name}={code}' for name, code in codes)}}}"
    if isinstance(con, FormatField) and con.fmtstr in _UNSIGNED_BITS:
        return f"u{_UNSIGNED_BITS[con.fmtstr]}"
    if isinstance(con, FormatField) and con.fmtstr in _FLOATS:
        return _FLOATS[con.fmtstr]
    if isinstance(con, Bytes):
        length = con.length if isinstance(con.length, int) else expression_text(con.length)
        return f"bytes[{length}]"
    if isinstance(con, Array):
        return f"{type_name(con.subcon)}[{expression_text(con.count)}]"
    if isinstance(con, Struct):
        return "struct"
    raise TypeError(f"the container schema uses {type(con).__name__}, which introspect.py does not describe")


def field_rows(struct: Struct, depth: int = 0) -> Iterator[tuple[int, str, str, str]]:
    """``(depth, name, type, documentation)`` for every named field, nested structures after their field."""
    for sub in struct.subcons:
        if sub.name is None:
            continue
        inner = strip_names(sub)
        yield depth, sub.name, type_name(inner), sub.docs
        nested = strip_names(inner.subcon) if isinstance(inner, Array) else inner
        if isinstance(nested, Struct):
            yield from field_rows(nested, depth + 1)


def check_fits(struct: Struct, value: Mapping[str, object], subject: str) -> None:
    """Raise ``FieldValueError`` unless ``struct.build(value)`` would store every value exactly.

    Computed fields (``Rebuild``) are evaluated the way ``construct`` builds them, so length prefixes and
    counts are range-checked too, and array lengths are checked against their count expressions.
    """
    try:
        _check(struct, value, "", Container())
    except FieldValueError as error:
        raise FieldValueError(f"cannot write {subject}: {error}") from None


def _check(con: Construct, value: object, path: str, context: Container) -> None:
    con = strip_names(con)
    if isinstance(con, Struct):
        _check_struct(con, value, path)
    elif isinstance(con, Array):
        count = evaluate(con.count, context)
        if not isinstance(value, Sequence) or len(value) != count:
            found = f"{len(value)} entries" if isinstance(value, Sequence) else f"a {type(value).__name__}"
            raise FieldValueError(f"{path} has {found}; the format needs {expression_text(con.count)} = {count}")
        for index, item in enumerate(value):
            _check(con.subcon, item, f"{path}[{index}]", context)
    elif isinstance(con, Enum):
        names = sorted(con.encmapping, key=con.encmapping.get)
        if value not in names:
            raise FieldValueError(f"{path} = {value!r} is not one of {', '.join(names)}")
    elif isinstance(con, FormatField) and con.fmtstr in _UNSIGNED_BITS:
        top = 2 ** _UNSIGNED_BITS[con.fmtstr] - 1
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value <= top:
            raise FieldValueError(f"{path} = {value!r} does not fit {type_name(con)} (an integer in 0..{top})")
    elif isinstance(con, FormatField) and con.fmtstr in _FLOATS:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise FieldValueError(f"{path} = {value!r} is not a real number")
    elif isinstance(con, Bytes):
        length = evaluate(con.length, context)
        if not isinstance(value, (bytes, bytearray)):
            raise FieldValueError(f"{path} must be bytes, not {type(value).__name__}")
        if len(value) != length:
            raise FieldValueError(f"{path} has {len(value)} bytes; the format needs exactly {length}")
    else:
        raise TypeError(f"the container schema uses {type(con).__name__}, which introspect.py does not check")


def _check_struct(struct: Struct, value: object, path: str) -> None:
    if not isinstance(value, Mapping):
        raise FieldValueError(f"{path} must be a structure, not {type(value).__name__}")
    context = Container(value)
    for sub in struct.subcons:
        if sub.name is None:
            continue
        field = strip_names(sub)
        where = f"{path}.{sub.name}" if path else sub.name
        if isinstance(field, Const):
            continue
        if isinstance(field, Rebuild):
            context[sub.name] = field.func(context)
            _check(field.subcon, context[sub.name], where, context)
        else:
            _check(field, value[sub.name], where, context)


def largest_value(struct: Struct, path: str) -> int:
    """The largest value the unsigned integer field at dotted ``path`` (e.g. ``sampler.atoms``) can store,
    or the largest element of an unsigned integer array there."""
    con: Construct = struct
    for name in path.split("."):
        matches = [sub for sub in strip_names(con).subcons if sub.name == name]
        if not matches:
            raise KeyError(f"the container schema has no field {path!r}")
        con = strip_names(matches[0])
        if isinstance(con, Rebuild):
            con = strip_names(con.subcon)
    if isinstance(con, Array):
        con = strip_names(con.subcon)
    if not (isinstance(con, FormatField) and con.fmtstr in _UNSIGNED_BITS):
        raise TypeError(f"field {path!r} is {type_name(con)}, not an unsigned integer")
    return 2 ** _UNSIGNED_BITS[con.fmtstr] - 1


def largest_allowed(struct: Struct, path: str) -> int:
    """The largest value a stream may hold at ``path``: the field's type, or its limit in ``LIMITS`` if tighter."""
    return min(largest_value(struct, path), LIMITS.get(path, largest_value(struct, path)))


def enum_name(value: object, where: str) -> str:
    """The name a parsed ``Enum`` field decoded to; an unknown code raises ``MalformedStreamError``."""
    if not isinstance(value, str):
        raise MalformedStreamError(
            f"{where} has code {value}, which this format version does not define; "
            "the stream is damaged or was written by a newer gvcodec"
        )
    return str(value)
