"""Command-line flags parsed as Go's spf13/pflag parses them (Stork's storkctl uses pflag).

So that Stork's commands work unchanged: ``--flag``, ``--flag=true|false`` and ``-x=false`` for
booleans (``--flag false`` is *not* a value: ``false`` becomes a positional argument), ``-nNS``,
``-n=NS`` and ``-n NS`` for values, flags anywhere between the positional arguments, ``--`` ends
the flags. Values are converted as pflag converts them (``strconv.ParseBool``,
``strconv.ParseInt(s, 0, 64)``, a CSV record for string slices, ``k=v`` lists for maps) and every
error has pflag's text, e.g. ``invalid argument "x" for "-i, --interval" flag: strconv.ParseInt:
parsing "x": invalid syntax``. Pure: no I/O.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class FlagError(ValueError):
    """A command line that pflag would refuse; ``str()`` is pflag's message."""


class Kind(enum.Enum):
    """pflag's value types used by storkctl, named as pflag names them in usages."""

    STRING = "string"
    BOOL = "bool"
    INT = "int"
    STRINGS = "strings"
    MAP = "stringToString"


@dataclass(frozen=True)
class Flag:
    """One flag: long name as typed (``clusterPair``), optional one-letter short name."""

    name: str
    kind: Kind
    default: Any
    help: str = ""
    short: str = ""
    deprecated: str = ""
    hidden: bool = False

    @property
    def label(self) -> str:
        """How pflag names the flag in errors: ``-c, --clusterPair`` or ``--clusterPair``."""
        return f"-{self.short}, --{self.name}" if self.short else f"--{self.name}"


def string(name: str, short: str = "", default: str = "", help: str = "") -> Flag:
    """A string flag."""
    return Flag(name, Kind.STRING, default, help, short)


def boolean(name: str, short: str = "", default: bool = False, help: str = "") -> Flag:
    """A boolean flag: ``--name`` alone is true."""
    return Flag(name, Kind.BOOL, default, help, short)


def integer(name: str, short: str = "", default: int = 0, help: str = "") -> Flag:
    """An int flag."""
    return Flag(name, Kind.INT, default, help, short)


def strings(name: str, short: str = "", help: str = "") -> Flag:
    """A string-slice flag (CSV; repeated flags append); unset is None (Go's nil)."""
    return Flag(name, Kind.STRINGS, None, help, short)


def mapping(name: str, default: dict[str, str] | None = None, help: str = "") -> Flag:
    """A ``k=v,...`` flag (repeated flags merge); unset is ``default`` (None: Go's nil)."""
    return Flag(name, Kind.MAP, default, help)


HELP = boolean("help", "h", help="help for this command")


@dataclass
class Parsed:
    """The outcome of parsing: every flag's value, which were given, the positional args."""

    values: dict[str, Any]
    changed: set[str] = field(default_factory=set)
    args: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def help(self) -> bool:
        """True when ``-h``/``--help`` was given (and not ``--help=false``)."""
        return bool(self.values.get(HELP.name))


# -- Go's value syntax ---------------------------------------------------------------------------

_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_INT64_MAX = (1 << 63) - 1


def go_quote(text: str) -> str:
    """Go's ``%q`` of a string (printable characters kept, control characters escaped)."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def parse_go_bool(text: str) -> bool:
    """``strconv.ParseBool``."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"strconv.ParseBool: parsing {go_quote(text)}: invalid syntax")


_DIGITS = {16: "0-9a-fA-F", 8: "0-7", 2: "01", 10: "0-9"}


def _int_body(body: str) -> tuple[int, str] | None:
    """(base, digits) of an unsigned Go integer literal with base prefix rules, or None."""
    lower = body[:2].lower()
    base, digits = 10, body
    if lower in ("0x", "0o", "0b"):
        base, digits = {"0x": 16, "0o": 8, "0b": 2}[lower], body[2:]
        underscores = re.fullmatch(f"(_?[{_DIGITS[base]}])+", digits)
    elif len(body) > 1 and body[0] == "0":
        base, digits = 8, body[1:]
        underscores = re.fullmatch(f"(_?[{_DIGITS[8]}])+", digits)
    else:
        underscores = re.fullmatch(f"[{_DIGITS[10]}](_?[{_DIGITS[10]}])*", digits)
    if not underscores:
        return None
    return base, digits.replace("_", "")


def parse_go_int(text: str) -> int:
    """``strconv.ParseInt(text, 0, 64)``: sign, 0x/0o/0b/0 prefixes, ``_`` between digits."""
    sign, body = 1, text
    if body[:1] in ("+", "-"):
        sign, body = (-1 if body[0] == "-" else 1), body[1:]
    parsed = _int_body(body) if body else None
    if parsed is None:
        raise ValueError(f"strconv.ParseInt: parsing {go_quote(text)}: invalid syntax")
    base, digits = parsed
    value = sign * int(digits, base)
    if value > _INT64_MAX or value < -_INT64_MAX - 1:
        raise ValueError(f"strconv.ParseInt: parsing {go_quote(text)}: value out of range")
    return value


def read_csv_record(text: str) -> list[str]:
    """The first record of ``text`` as Go's ``encoding/csv`` reads it (default settings).

    Fields are separated by commas, spaces are kept, a field that starts with ``"`` is quoted
    (``""`` inside is one quote, commas and newlines inside are kept).
    """
    lines = text.replace("\r\n", "\n").split("\n")
    line_no = 0
    while line_no < len(lines) and lines[line_no] == "":
        line_no += 1  # Go skips empty lines before a record
    if line_no >= len(lines):
        raise ValueError("EOF")
    rest = "\n".join(lines[line_no:])
    fields: list[str] = []
    pos = 0
    while True:
        if rest[pos : pos + 1] != '"':
            end = pos
            while end < len(rest) and rest[end] not in ",\n":
                if rest[end] == '"':
                    raise ValueError(
                        f'parse error on line {line_no + 1}, column {end + 1}: bare " in '
                        "non-quoted field"
                    )
                end += 1
            fields.append(rest[pos:end])
        else:
            value, end = _quoted_field(rest, pos + 1, line_no)
            fields.append(value)
        if end >= len(rest) or rest[end] == "\n":
            return fields
        pos = end + 1


def _quoted_field(text: str, start: int, line_no: int) -> tuple[str, int]:
    """A quoted field's value and the index just after its closing quote."""
    out = []
    i = start
    while i < len(text):
        if text[i] != '"':
            out.append(text[i])
            i += 1
        elif text[i + 1 : i + 2] == '"':
            out.append('"')
            i += 2
        elif i + 1 == len(text) or text[i + 1] in ",\n":
            return "".join(out), i + 1
        else:
            break
    line = line_no + 1 + text.count("\n", 0, i)
    column = i - text.rfind("\n", 0, i)
    raise ValueError(
        f'parse error on line {line}, column {column}: extraneous or missing " in quoted-field'
    )


def parse_string_map(text: str) -> dict[str, str]:
    """pflag's ``stringToString`` value: ``k=v`` or a CSV record of ``k=v`` items."""
    count = text.count("=")
    if count == 0:
        raise ValueError(f"{text} must be formatted as key=value")
    items = [text.strip('"')] if count == 1 else read_csv_record(text)
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"{item} must be formatted as key=value")
        out[key] = value
    return out


def _convert(flag: Flag, text: str, current: Any, changed: bool) -> Any:
    """The flag's new value after pflag's ``Set(text)`` (raises ValueError with Go's text)."""
    if flag.kind is Kind.STRING:
        return text
    if flag.kind is Kind.BOOL:
        return parse_go_bool(text)
    if flag.kind is Kind.INT:
        return parse_go_int(text)
    if flag.kind is Kind.STRINGS:
        items = read_csv_record(text) if text else []
        return [*current, *items] if changed else items
    update = parse_string_map(text)
    return {**current, **update} if changed else update


# -- parsing -------------------------------------------------------------------------------------


class _Parser:
    """One pass over the arguments, with pflag's rules (``FlagSet.Parse``, interspersed)."""

    def __init__(self, flags: Sequence[Flag]) -> None:
        self.long: Mapping[str, Flag] = {f.name: f for f in flags}
        self.short: Mapping[str, Flag] = {f.short: f for f in flags if f.short}
        self.result = Parsed(values={f.name: _copy(f.default) for f in flags})

    def set(self, flag: Flag, text: str) -> None:
        result = self.result
        try:
            value = _convert(flag, text, result.values[flag.name], flag.name in result.changed)
        except ValueError as e:
            raise FlagError(
                f"invalid argument {go_quote(text)} for {go_quote(flag.label)} flag: {e}"
            ) from None
        result.values[flag.name] = value
        if flag.name not in result.changed and flag.deprecated:
            result.warnings.append(f"Flag --{flag.name} has been deprecated, {flag.deprecated}")
        result.changed.add(flag.name)

    def long_flag(self, token: str, args: list[str]) -> None:
        body = token[2:]
        if not body or body[0] in "-=":
            raise FlagError(f"bad flag syntax: {token}")
        name, eq, value = body.partition("=")
        flag = self.long.get(name)
        if flag is None:
            raise FlagError(f"unknown flag: --{name}")
        if not eq:
            if flag.kind is Kind.BOOL:
                value = "true"
            elif args:
                value = args.pop(0)
            else:
                raise FlagError(f"flag needs an argument: {token}")
        self.set(flag, value)

    def short_flags(self, token: str, args: list[str]) -> None:
        shorthands = token[1:]
        while shorthands:
            letter = shorthands[0]
            flag = self.short.get(letter)
            if flag is None:
                raise FlagError(f"unknown shorthand flag: '{letter}' in -{shorthands}")
            if len(shorthands) > 2 and shorthands[1] == "=":
                value, rest = shorthands[2:], ""
            elif flag.kind is Kind.BOOL:
                value, rest = "true", shorthands[1:]
            elif len(shorthands) > 1:
                value, rest = shorthands[1:], ""
            elif args:
                value, rest = args.pop(0), ""
            else:
                raise FlagError(f"flag needs an argument: '{letter}' in -{shorthands}")
            self.set(flag, value)
            shorthands = rest


def _copy(value: Any) -> Any:
    return (
        list(value)
        if isinstance(value, list)
        else dict(value)
        if isinstance(value, dict)
        else value
    )


def parse(arguments: Sequence[str], flags: Sequence[Flag]) -> Parsed:
    """Parse ``arguments`` against ``flags`` (plus ``-h/--help``) as pflag does.

    Raises FlagError with pflag's message for an unknown flag, a missing or bad value.
    """
    parser = _Parser([*flags, HELP] if all(f.name != HELP.name for f in flags) else flags)
    args = list(arguments)
    while args:
        word = args.pop(0)
        if word == "--":
            parser.result.args.extend(args)
            break
        if len(word) < 2 or word[0] != "-":
            parser.result.args.append(word)
        elif word[1] == "-":
            parser.long_flag(word, args)
        else:
            parser.short_flags(word, args)
    return parser.result


# -- usage text ----------------------------------------------------------------------------------


def _default_text(flag: Flag) -> str:
    """pflag's `` (default ...)`` suffix; nothing for a zero default."""
    default = flag.default
    if flag.kind is Kind.STRING:
        return f" (default {go_quote(default)})" if default else ""
    if flag.kind is Kind.BOOL:
        return " (default true)" if default else ""
    if flag.kind is Kind.INT:
        return f" (default {default})" if default else ""
    return ""


def flag_usages(flags: Sequence[Flag]) -> str:
    """pflag's ``FlagUsages``: one line per visible flag, sorted by name, help aligned."""
    entries = []
    for flag in sorted((f for f in flags if not f.hidden and not f.deprecated), key=_by_name):
        head = f"  -{flag.short}, --{flag.name}" if flag.short else f"      --{flag.name}"
        if flag.kind is not Kind.BOOL:
            head += f" {flag.kind.value}"
        entries.append((head, flag.help + _default_text(flag)))
    width = max((len(head) for head, _ in entries), default=0)
    indent = "\n" + " " * (width + 3)
    return "".join(
        f"{head.ljust(width)}   {text.replace(chr(10), indent)}".rstrip() + "\n"
        for head, text in entries
    )


def _by_name(flag: Flag) -> str:
    return flag.name
