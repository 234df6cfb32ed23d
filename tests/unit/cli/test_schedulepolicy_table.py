"""Stork's ``get schedulepolicy`` cells for policies our CRD would refuse (Stork's CRD has no
schema, so Stork's tests store invalid policies and expect ``Invalid``)."""

from __future__ import annotations

from typing import Any

import pytest

from stork.cli.schedulepolicy_cmd import COLUMNS, _row
from stork.cli.table import format_table


def table(name: str, body: dict[str, Any]) -> str:
    return format_table(COLUMNS, [_row({"metadata": {"name": name}, "policy": body})]) + "\n"


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        (
            "testpolicy1",
            {},
            "NAME          INTERVAL-MINUTES   DAILY   WEEKLY   MONTHLY\n"
            "testpolicy1   N/A                N/A     N/A      N/A\n",
        ),
        (
            "intervalpolicy",
            {"interval": {"intervalMinutes": -1}},
            "NAME             INTERVAL-MINUTES   DAILY   WEEKLY   MONTHLY\n"
            "intervalpolicy   Invalid            N/A     N/A      N/A\n",
        ),
        (
            "dailypolicy",
            {"daily": {"time": "13:15pm"}},
            "NAME          INTERVAL-MINUTES   DAILY     WEEKLY   MONTHLY\n"
            "dailypolicy   N/A                Invalid   N/A      N/A\n",
        ),
        (
            "dailypolicy",
            {"daily": {"time": "1215"}},
            "NAME          INTERVAL-MINUTES   DAILY     WEEKLY   MONTHLY\n"
            "dailypolicy   N/A                Invalid   N/A      N/A\n",
        ),
        (
            "weeklypolicy",
            {"weekly": {"day": "Weekday", "time": "12:15pm"}},
            "NAME           INTERVAL-MINUTES   DAILY   WEEKLY    MONTHLY\n"
            "weeklypolicy   N/A                N/A     Invalid   N/A\n",
        ),
        (
            "weeklypolicy",
            {"weekly": {"day": "Sun", "time": "1215"}},
            "NAME           INTERVAL-MINUTES   DAILY   WEEKLY    MONTHLY\n"
            "weeklypolicy   N/A                N/A     Invalid   N/A\n",
        ),
        (
            "monthlypolicy",
            {"monthly": {"date": 35, "time": "12:15pm"}},
            "NAME            INTERVAL-MINUTES   DAILY   WEEKLY   MONTHLY\n"
            "monthlypolicy   N/A                N/A     N/A      Invalid\n",
        ),
        (
            "monthlypolicy",
            {"monthly": {"date": 15, "time": "1215"}},
            "NAME            INTERVAL-MINUTES   DAILY   WEEKLY   MONTHLY\n"
            "monthlypolicy   N/A                N/A     N/A      Invalid\n",
        ),
    ],
)
def test_storks_invalid_cells(name: str, body: dict[str, Any], expected: str) -> None:
    assert table(name, body) == expected
