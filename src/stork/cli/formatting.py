"""Stork's printed formats: durations and k=v lists; dates and ``-o`` output live in ``output``."""

from __future__ import annotations

from stork.api.timestamps import parse_time
from stork.cli.errors import UserError
from stork.cli.output import print_objects, rfc822, to_yaml
from stork.migration.ledger import go_duration

__all__ = ["duration", "key_values", "parse_time", "print_objects", "rfc822", "to_yaml"]


def duration(seconds: float) -> str:
    """Go's Duration.String(), rounded to seconds as a port should."""
    return go_duration(round(seconds))


def key_values(text: str | None, flag: str) -> dict[str, str]:
    """``k1=v1,k2=v2`` (items trimmed) as a dict; a malformed item is named in the error."""
    out: dict[str, str] = {}
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"invalid {flag} value {item!r}: expected key=value")
        out[key.strip()] = value.strip()
    return out
