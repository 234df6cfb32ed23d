"""storkctl's printing: Go's RFC822 dates, yaml.v2's YAML, Go's JSON, lists, the -o flag."""

from __future__ import annotations

import datetime as dt
import functools
import json
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import yaml

from stork.api.timestamps import parse_time
from stork.cli.errors import UserError
from stork.cli.output import (
    NO_RESOURCES,
    as_document,
    check_output_format,
    go_key_compare,
    rfc822,
    to_json,
    to_yaml,
)

WHEN = dt.datetime(2019, 4, 10, 1, 16, 59, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        (dt.UTC, "10 Apr 19 01:16 UTC"),
        (ZoneInfo("America/Los_Angeles"), "09 Apr 19 18:16 PDT"),
        (ZoneInfo("Europe/Berlin"), "10 Apr 19 03:16 CEST"),
        (ZoneInfo("America/Sao_Paulo"), "09 Apr 19 22:16 -03"),
        (dt.timezone(dt.timedelta(hours=5, minutes=30)), "10 Apr 19 06:46 +0530"),
        (dt.timezone(dt.timedelta(hours=-7)), "09 Apr 19 18:16 -0700"),
        (dt.timezone(dt.timedelta(hours=1), "XYZ"), "10 Apr 19 02:16 XYZ"),
    ],
)
def test_rfc822_in_a_fixed_zone(zone: dt.tzinfo, expected: str) -> None:
    assert rfc822(WHEN, zone) == expected


def test_rfc822_winter_time_and_unset() -> None:
    winter = dt.datetime(2024, 1, 5, 8, 3, tzinfo=dt.UTC)
    assert rfc822(winter, ZoneInfo("America/Los_Angeles")) == "05 Jan 24 00:03 PST"
    assert rfc822(None) == ""


@pytest.fixture
def pacific(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("pacific")
def test_rfc822_uses_the_local_zone_by_default() -> None:
    assert rfc822(WHEN) == "09 Apr 19 18:16 PDT"


def test_parse_time() -> None:
    assert parse_time("2019-04-10T01:16:59Z") == WHEN
    assert parse_time(None) is None
    assert parse_time("") is None


def test_go_key_order() -> None:
    keys = ["users", "current-context", "LocationOfOrigin", "k10", "k9", "a_b", "aB", "a-b", "b"]
    ordered = sorted(keys, key=functools.cmp_to_key(go_key_compare))
    assert ordered == [
        "LocationOfOrigin",
        "a-b",
        "a_b",
        "aB",
        "b",
        "current-context",
        "k9",
        "k10",
        "users",
    ]


def test_yaml_like_go() -> None:
    doc = {
        "status": {"storageStatus": "", "schedulerStatus": ""},
        "port": "9001",
        "flag": "true",
        "y": "y",
        "when": "2024-01-01T00:00:00Z",
        "token": "line1\nline2\n",
        "long": "word " * 40 + "end",
        "data": "QUJD" * 100,
        "none": None,
        "empty": {},
        "list": [{"b": 1, "a": 2}],
        "text": "héllo",
    }
    assert to_yaml(doc) == (
        "data: " + "QUJD" * 100 + "\n"
        "empty: {}\n"
        'flag: "true"\n'
        "list:\n"
        "- a: 2\n"
        "  b: 1\n"
        "long: " + "word " * 40 + "end\n"
        "none: null\n"
        'port: "9001"\n'
        "status:\n"
        '  schedulerStatus: ""\n'
        '  storageStatus: ""\n'
        "text: héllo\n"
        "token: |\n"
        "  line1\n"
        "  line2\n"
        'when: "2024-01-01T00:00:00Z"\n'
        '"y": "y"\n'
    )
    assert yaml.safe_load(to_yaml(doc)) == doc


def test_json_like_go() -> None:
    # keys in the order given (goshape orders them as Go's structs; maps come sorted)
    text = to_json({"b": "<a & b>", "a": [1], "c": "é"})
    assert text == (
        '{\n    "b": "\\u003ca \\u0026 b\\u003e",\n    "a": [\n        1\n    ],\n    "c": "é"\n}\n'
    )
    assert json.loads(text)["b"] == "<a & b>"


def _obj(name: str) -> dict[str, object]:
    return {
        "kind": "ClusterPair",
        "metadata": {"name": name, "managedFields": [{"manager": "kubectl"}]},
        "status": {"conditions": []},
    }


def test_always_a_list_as_stork_prints_it() -> None:
    one = as_document([_obj("a")])
    assert list(one) == ["kind", "apiVersion", "metadata", "items"]
    assert (one["kind"], one["apiVersion"], one["metadata"]) == ("List", "v1", {})
    assert one["items"] == [
        {
            "kind": "ClusterPair",
            "metadata": {"name": "a", "creationTimestamp": None},  # managed fields hidden
            "spec": {
                "config": {
                    "preferences": {},
                    "clusters": None,
                    "users": None,
                    "contexts": None,
                    "current-context": "",
                },
                "options": None,
                "platformOptions": {},
            },
            "status": {
                "schedulerStatus": "",
                "storageStatus": "",
                "remoteStorageId": "",
                "conditions": [],  # ours: kept after Stork's fields
            },
        }
    ]
    assert len(as_document([_obj("a"), _obj("b")])["items"]) == 2
    assert as_document([])["items"] == []


def test_output_formats() -> None:
    for value in ("table", "json", "yaml"):
        assert check_output_format(value) == value
    with pytest.raises(UserError, match=r"^unsupported output type wide$"):
        check_output_format("wide")
    assert NO_RESOURCES == "No resources found."
