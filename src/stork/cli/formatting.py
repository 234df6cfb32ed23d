"""Stork's printed formats: Go's RFC822 dates and durations, k=v lists, kubectl's -o output."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click
import yaml

from stork.cli.errors import UserError
from stork.migration.ledger import go_duration


def rfc822(when: dt.datetime | None) -> str:
    """Go's time.RFC822 (``02 Jan 06 15:04 MST``) in the CLI's local zone; "" when unset."""
    if when is None:
        return ""
    return when.astimezone().strftime("%d %b %y %H:%M %Z")


def parse_time(stamp: Any) -> dt.datetime | None:
    """An RFC 3339 timestamp from the API (None for null or empty)."""
    if not stamp:
        return None
    return dt.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))


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


class _GoYamlDumper(yaml.SafeDumper):
    """PyYAML, but empty strings as ``""`` like Go's YAML printer (not ``''``)."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if value == "" else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_GoYamlDumper.add_representer(str, _str)


def to_yaml(doc: Any) -> str:
    """YAML as kubectl/storkctl print it: sorted keys, no line folding, ``""`` for empty."""
    return yaml.dump(
        doc, Dumper=_GoYamlDumper, sort_keys=True, width=1 << 20, default_flow_style=False
    )


def print_objects(objects: list[dict[str, Any]], output: str) -> None:
    """``-o json|yaml`` as storkctl prints it: one object as is, several as a v1 List."""
    doc: Any = (
        objects[0]
        if len(objects) == 1
        else {
            "apiVersion": "v1",
            "items": objects,
            "kind": "List",
            "metadata": {"resourceVersion": ""},
        }
    )
    if output == "json":
        click.echo(json.dumps(doc, indent=4))
    else:
        click.echo(to_yaml(doc), nl=False)
