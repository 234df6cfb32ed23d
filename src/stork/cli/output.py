"""How storkctl prints: Go's RFC822 dates, ``-o json|yaml`` as kubectl does, the empty message.

Shared by every storkctl command. YAML follows Go's ``sigs.k8s.io/yaml`` printer (yaml.v2): keys
in yaml.v2's order, strings that would read back as another type in double quotes, multi-line
strings as literal blocks, no line folding. JSON follows ``json.MarshalIndent(obj, "", "    ")``
of Stork's typed objects (``goshape``): struct fields in Go's order, map keys sorted.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import click
import yaml

from stork.cli.errors import UserError
from stork.cli.goshape import go_object
from stork.cli.table import print_table

OUTPUT_FORMATS = ("table", "json", "yaml")
NO_RESOURCES = "No resources found."

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UNNAMED_OFFSET = re.compile(r"^UTC([+-]\d\d):(\d\d)$")

# -- dates ---------------------------------------------------------------------------------------


def _zone_name(when: dt.datetime) -> str:
    """The zone abbreviation Go prints for ``MST``; ``-0700`` style when the zone has none."""
    name = when.tzname() or ""
    unnamed = _UNNAMED_OFFSET.match(name)
    if name and not unnamed:
        return name
    offset = when.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def rfc822(when: dt.datetime | None, zone: dt.tzinfo | None = None) -> str:
    """Go's ``time.RFC822`` (``02 Jan 06 15:04 MST``) in ``zone``, else the local zone.

    An unset time prints as the empty string, as Stork's ``toTimeString`` does.
    """
    if when is None:
        return ""
    local = when.astimezone(zone) if zone is not None else when.astimezone()
    return (
        f"{local.day:02d} {_MONTHS[local.month - 1]} {local.year % 100:02d} "
        f"{local.hour:02d}:{local.minute:02d} {_zone_name(local)}"
    )


# -- YAML as Go prints it ------------------------------------------------------------------------


def _digit(c: str) -> bool:
    return c.isdecimal()


def go_key_compare(a: str, b: str) -> int:
    """yaml.v2's order of map keys (``keyList.Less``): letters by code point, non-letters
    before letters, runs of digits compared as numbers."""
    for i in range(min(len(a), len(b))):
        if a[i] == b[i]:
            continue
        a_letter, b_letter = a[i].isalpha(), b[i].isalpha()
        if a_letter and b_letter:
            return -1 if a[i] < b[i] else 1
        if a_letter or b_letter:
            return -1 if b_letter else 1
        an = bn = 0
        if a[i] == "0" or b[i] == "0":
            j = i - 1
            while j >= 0 and _digit(a[j]):
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and _digit(a[ai]):
            an = an * 10 + int(a[ai])
            ai += 1
        bi = i
        while bi < len(b) and _digit(b[bi]):
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return -1 if an < bn else 1
        if ai != bi:
            return -1 if ai < bi else 1
        return -1 if a[i] < b[i] else 1
    return (len(a) > len(b)) - (len(a) < len(b))


_KEY_ORDER = functools.cmp_to_key(go_key_compare)
_resolve: Callable[[type, str, tuple[bool, bool]], str] = yaml.resolver.Resolver().resolve
_STR_TAG = "tag:yaml.org,2002:str"
_YAML11_SHORT_BOOLS = frozenset({"y", "Y", "n", "N"})
_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")


def _string_style(value: str) -> str | None:
    """yaml.v2: double quotes when the plain text would read back as another type; a literal
    block for multi-line text; else plain (the emitter may still quote special characters)."""
    tag = _resolve(yaml.ScalarNode, value, (True, False))
    if tag != _STR_TAG or value in _YAML11_SHORT_BOOLS or _BASE60.match(value):
        return '"'
    if "\n" in value:
        return "|"
    return None


class _GoDumper(yaml.SafeDumper):
    """PyYAML with Go's (yaml.v2) key order and string styles, and no anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        """Repeated objects are printed in full, as Go does."""
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(_STR_TAG, value, style=_string_style(value))


def _represent_dict(dumper: yaml.SafeDumper, value: dict[Any, Any]) -> yaml.MappingNode:
    ordered = {k: value[k] for k in sorted(value, key=lambda k: _KEY_ORDER(str(k)))}
    return dumper.represent_mapping("tag:yaml.org,2002:map", ordered)


_GoDumper.add_representer(str, _represent_str)
_GoDumper.add_representer(dict, _represent_dict)


def _plain(doc: Any) -> Any:
    """Only JSON types (as Go marshals to JSON before YAML): dict subclasses, tuples... go."""
    return json.loads(json.dumps(doc))


def to_yaml(doc: Any) -> str:
    """YAML as kubectl/storkctl print it (``sigs.k8s.io/yaml``), ending in a newline."""
    return yaml.dump(
        _plain(doc),
        Dumper=_GoDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 30,
    )


# -- JSON as Go prints it ------------------------------------------------------------------------

_GO_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def to_json(doc: Any) -> str:
    """``json.MarshalIndent(obj, "", "    ")`` plus kubectl's final newline: keys in the order of
    ``doc`` (``goshape`` orders them as Go does), UTF-8 kept, HTML characters escaped like Go."""
    text = json.dumps(_plain(doc), indent=4, ensure_ascii=False)
    for char, escape in _GO_JSON_ESCAPES.items():
        text = text.replace(char, escape)
    return text + "\n"


# -- printing objects ----------------------------------------------------------------------------


def without_managed_fields(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The object without ``metadata.managedFields`` (kubectl's printers hide them)."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or "managedFields" not in meta:
        return dict(obj)
    return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}


def as_document(objects: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What Stork's ``get ... -o json|yaml`` prints: always a ``v1 List`` (also for one object),
    its items as Stork's typed client has them, managed fields hidden."""
    return {
        "kind": "List",
        "apiVersion": "v1",
        "metadata": {},
        "items": [go_object(without_managed_fields(o)) for o in objects],
    }


def render(doc: Any, output: str) -> str:
    """One document in the ``json`` or ``yaml`` format."""
    return to_json(doc) if output == "json" else to_yaml(doc)


def print_objects(objects: Sequence[Mapping[str, Any]], output: str) -> None:
    """Print API objects with ``-o json|yaml`` on stdout (a List, as Stork)."""
    click.echo(render(as_document(objects), check_output_format(output)), nl=False)


def print_empty() -> None:
    """Stork's message for an empty result, on stdout (``handleEmptyList``), exit status 0."""
    click.echo(NO_RESOURCES)


def print_result(
    objects: Sequence[Mapping[str, Any]],
    output: str,
    headers: Sequence[str],
    row: Callable[[Mapping[str, Any]], list[str]],
    with_namespace: bool,
) -> None:
    """What Stork's ``get`` commands print: "No resources found." for nothing (whatever ``-o``
    says), else the table (``NAMESPACE`` first with ``--all-namespaces``) or the List."""
    if not objects:
        print_empty()
        return
    if check_output_format(output) != "table":
        print_objects(objects, output)
        return
    rows = [[o["metadata"]["namespace"], *row(o)] if with_namespace else row(o) for o in objects]
    print_table(["NAMESPACE", *headers] if with_namespace else list(headers), rows)


# -- the -o flag ---------------------------------------------------------------------------------


def check_output_format(value: str) -> str:
    """The value of ``-o``, or Stork's error for anything but table, json and yaml."""
    if value not in OUTPUT_FORMATS:
        raise UserError(f"unsupported output type {value}")
    return value
