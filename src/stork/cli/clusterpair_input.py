"""Checks of what the user types for a ClusterPair (pure): names, storage options, mappings.

Names are checked as Stork checks them (Kubernetes' DNS-1123 rules, with Kubernetes' messages
in Stork's wrapping). Option lists are ``k=v`` items separated by commas; whitespace around an
item is trimmed, empty items are skipped, and a malformed item is named in the error.
"""

from __future__ import annotations

import re

from stork.cli.errors import UserError

_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN_FMT = _LABEL_FMT + "(\\." + _LABEL_FMT + ")*"
_LABEL = re.compile(f"^{_LABEL_FMT}$")
_SUBDOMAIN = re.compile(f"^{_SUBDOMAIN_FMT}$")
LABEL_MAX = 63
SUBDOMAIN_MAX = 253
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character"
)
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character"
)
MAPPING_FORMAT = "<source-project-id>=<dest-project-id>"


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    """Kubernetes' ``validation.RegexError`` text (its double space included)."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    listed = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {listed}regex used for validation is '{fmt}')"


def dns1123_subdomain_errors(value: str) -> list[str]:
    """Kubernetes' ``IsDNS1123Subdomain``: the list of problems (empty when valid)."""
    errors = []
    if len(value) > SUBDOMAIN_MAX:
        errors.append(f"must be no more than {SUBDOMAIN_MAX} characters")
    if not _SUBDOMAIN.match(value):
        errors.append(_regex_error(_SUBDOMAIN_MSG, _SUBDOMAIN_FMT, "example.com"))
    return errors


def dns1123_label_errors(value: str) -> list[str]:
    """Kubernetes' ``IsDNS1123Label``: the list of problems (empty when valid)."""
    errors = []
    if len(value) > LABEL_MAX:
        errors.append(f"must be no more than {LABEL_MAX} characters")
    if not _LABEL.match(value):
        errors.append(_regex_error(_LABEL_MSG, _LABEL_FMT, "my-name", "123-abc"))
    return errors


def check_pair_name(name: str) -> None:
    """A ClusterPair name must be a DNS-1123 subdomain (Stork's message)."""
    errors = dns1123_subdomain_errors(name)
    if errors:
        raise UserError(f'the Name "{name}" is not valid: [{" ".join(errors)}]')


def check_namespace(namespace: str) -> None:
    """A namespace must be a DNS-1123 label (Stork's message)."""
    errors = dns1123_label_errors(namespace)
    if errors:
        raise UserError(f'the Namespace "{namespace}" is not valid: [{" ".join(errors)}]')


def _items(text: str) -> list[tuple[str, str, str]]:
    """``(item, key, value)`` for every non-empty item, trimmed; key "" when there is no ``=``."""
    out = []
    for raw in text.split(","):
        item = raw.strip()
        if item:
            key, sep, value = item.partition("=")
            out.append((item, key.strip() if sep else "", value.strip() if sep else ""))
    return out


def parse_storage_options(text: str | None) -> dict[str, str] | None:
    """``-s k=v,...`` as a dict; None when not given (Stork then writes its placeholder).

    Stork's message for a malformed item; unlike Stork, a value may itself contain ``=`` (tokens
    are often base64), and blanks around items and empty items are ignored.
    """
    if not text:
        return None
    options: dict[str, str] = {}
    for _item, key, value in _items(text):
        if not key:
            raise UserError("invalid storage options")
        options[key] = value
    return options


#: Stork's ``projectMappingHelpString``: ``generate clusterpair`` says "invalid " + this.
MAPPINGS_HELP = (
    "Project mappings between source and destination clusters (currently supported only for "
    "Rancher).\nUse comma-separated <source-project-id>=<dest-project-id> pairs.\nFor the "
    "project-id, you can also have a cluster-id field added as a prefix to the project-id.\nIt "
    "is recommended to include both one-to-one mappings of the project-id and Rancher "
    "cluster-id prefixed project-id as follows:\n"
    f"{MAPPING_FORMAT},<source-cluster-id>:<source-project-id>=<dest-cluster-id>:"
    "<dest-project-id>"
)


def parse_project_mappings(text: str | None, generate: bool = False) -> dict[str, str]:
    """``--project-mappings A1=A2,B1=B2`` as a dict (source project -> destination project).

    A malformed item gets Stork's message, which differs between ``generate clusterpair``
    (``invalid <help text>``) and ``create clusterpair``; a project mapped twice is refused.
    """
    mappings: dict[str, str] = {}
    for item, key, value in _items(text or ""):
        if not key or not value:
            if generate:
                raise UserError(f"invalid {MAPPINGS_HELP}")
            raise UserError(
                f"invalid project-mappings provided: invalid key value: {item} provided. "
                "Example format: app=mysql"
            )
        if mappings.get(key, value) != value:
            raise UserError(
                f'invalid project-mappings provided: project "{key}" is mapped to both '
                f'"{mappings[key]}" and "{value}"'
            )
        mappings[key] = value
    return mappings


def reverse_mappings(mappings: dict[str, str]) -> dict[str, str]:
    """The mappings of the reverse pair (destination -> source); refuses an ambiguous reverse."""
    reverse: dict[str, str] = {}
    for source, destination in mappings.items():
        if destination in reverse:
            raise UserError(
                f'invalid project-mappings provided: "{reverse[destination]}" and "{source}" '
                f'both map to "{destination}", so the reverse pair cannot map it back '
                "(use -u for a one-way pair)"
            )
        reverse[destination] = source
    return reverse
