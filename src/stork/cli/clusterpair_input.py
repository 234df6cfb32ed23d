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

    Unlike Stork, a value may itself contain ``=`` (tokens are often base64).
    """
    if not text:
        return None
    options: dict[str, str] = {}
    for item, key, value in _items(text):
        if not key:
            raise UserError(f'invalid storage options: "{item}" is not key=value')
        options[key] = value
    return options


def parse_project_mappings(text: str | None) -> dict[str, str]:
    """``--project-mappings A1=A2,B1=B2`` as a dict (source project -> destination project)."""
    mappings: dict[str, str] = {}
    for item, key, value in _items(text or ""):
        if not key or not value:
            raise UserError(
                f'invalid project-mappings provided: invalid key value: "{item}" provided. '
                f"Example format: {MAPPING_FORMAT}"
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


def exactly_one_name(names: tuple[str, ...]) -> str:
    """Stork takes exactly one positional name."""
    if len(names) != 1:
        raise UserError("exactly one name needs to be provided for clusterpair name")
    return names[0]
