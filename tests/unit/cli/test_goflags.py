"""storkctl's flags are parsed as Go's pflag parses Stork's (values, errors, booleans)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stork.cli.goflags import (
    FlagError,
    boolean,
    flag_usages,
    go_quote,
    integer,
    mapping,
    parse,
    parse_go_bool,
    parse_go_int,
    read_csv_record,
    string,
    strings,
)

FLAGS = [
    string("clusterPair", "c"),
    string("namespace", "n", "default"),
    strings("namespaces"),
    boolean("includeResources", "r", True),
    boolean("suspend"),
    boolean("all-namespaces", "a"),
    integer("interval", "i", 30),
    mapping("annotations", {}),
    mapping("selectors"),
]


def values(*args: str) -> dict[str, object]:
    return parse(args, FLAGS).values


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), {"suspend": False, "includeResources": True}),
        (("--suspend",), {"suspend": True}),
        (("--suspend=true",), {"suspend": True}),
        (("--suspend=false",), {"suspend": False}),
        (("--suspend=F",), {"suspend": False}),
        (("--suspend=1",), {"suspend": True}),
        (("-r=false",), {"includeResources": False}),
        (("--includeResources=false",), {"includeResources": False}),
        (("-ar=false",), {"all-namespaces": True, "includeResources": False}),
    ],
)
def test_booleans_as_pflag(args: tuple[str, ...], expected: dict[str, object]) -> None:
    got = values(*args)
    assert {k: got[k] for k in expected} == expected


def test_a_bool_never_takes_the_next_word() -> None:
    parsed = parse(["--suspend", "false", "x"], FLAGS)
    assert parsed.values["suspend"] is True
    assert parsed.args == ["false", "x"]


@pytest.mark.parametrize(
    "args",
    [("-n", "ns"), ("-nns",), ("-n=ns",), ("--namespace", "ns"), ("--namespace=ns",)],
)
def test_value_forms(args: tuple[str, ...]) -> None:
    assert values(*args)["namespace"] == "ns"


def test_flags_between_arguments_and_double_dash() -> None:
    parsed = parse(["a", "-c", "p", "b", "--", "-n", "x"], FLAGS)
    assert parsed.args == ["a", "b", "-n", "x"]
    assert parsed.values["clusterPair"] == "p"
    assert parsed.values["namespace"] == "default"
    assert parsed.changed == {"clusterPair"}


def test_slices_and_maps() -> None:
    got = values("--namespaces", "a, b", "--namespaces=c", "--annotations", "k=v")
    assert got["namespaces"] == ["a", " b", "c"]  # CSV: blanks kept, repeated flags append
    assert got["annotations"] == {"k": "v"}
    assert values()["namespaces"] is None  # Go's nil when not given
    assert values("--namespaces=")["namespaces"] == []
    assert values("--selectors", "a=1,b=2", "--selectors", "a=3")["selectors"] == {
        "a": "3",
        "b": "2",
    }
    assert values("--selectors", '"k=v"')["selectors"] == {"k": "v"}  # one pair: quotes trimmed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "unknown flag: --bogus"),
        (["-x"], "unknown shorthand flag: 'x' in -x"),
        (["-rx"], "unknown shorthand flag: 'x' in -x"),
        (["-c"], "flag needs an argument: 'c' in -c"),
        (["--clusterPair"], "flag needs an argument: --clusterPair"),
        (["---x"], "bad flag syntax: ---x"),
        (
            ["-i", "abc"],
            'invalid argument "abc" for "-i, --interval" flag: strconv.ParseInt: parsing "abc": '
            "invalid syntax",
        ),
        (
            ["--suspend=maybe"],
            'invalid argument "maybe" for "--suspend" flag: strconv.ParseBool: parsing "maybe": '
            "invalid syntax",
        ),
        (
            ["--annotations", "oops"],
            'invalid argument "oops" for "--annotations" flag: oops must be formatted as key=value',
        ),
        (
            ["--namespaces", 'a"b'],
            'invalid argument "a\\"b" for "--namespaces" flag: parse error on line 1, column 2: '
            'bare " in non-quoted field',
        ),
    ],
)
def test_errors_have_pflags_text(args: list[str], message: str) -> None:
    with pytest.raises(FlagError) as e:
        parse(args, FLAGS)
    assert str(e.value) == message


@pytest.mark.parametrize(
    ("text", "value"),
    [("30", 30), ("-15", -15), ("+7", 7), ("0x1f", 31), ("0o17", 15), ("017", 15), ("0b11", 3)],
)
def test_go_ints(text: str, value: int) -> None:
    assert parse_go_int(text) == value


@pytest.mark.parametrize("text", ["", "1.5", "08", "1__0", "_1", "0x", "abc", " 1"])
def test_go_int_syntax_errors(text: str) -> None:
    with pytest.raises(ValueError, match="invalid syntax"):
        parse_go_int(text)


def test_go_int_range() -> None:
    assert parse_go_int(str(2**63 - 1)) == 2**63 - 1
    with pytest.raises(ValueError, match="value out of range"):
        parse_go_int(str(2**63))


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_go_ints_round_trip(value: int) -> None:
    assert parse_go_int(str(value)) == value
    if value >= 0:
        assert parse_go_int(hex(value)) == value
        assert parse_go_int(oct(value)) == value


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters=',"\r\n'), min_size=1)))
def test_csv_without_quotes_is_split_on_commas(items: list[str]) -> None:
    text = ",".join(items)
    if text:
        assert read_csv_record(text) == text.split(",")


def test_csv_quotes() -> None:
    assert read_csv_record('a,"b,c","d""e"') == ["a", "b,c", 'd"e']
    with pytest.raises(ValueError, match='extraneous or missing " in quoted-field'):
        read_csv_record('"a"b')


def test_bools_and_quotes() -> None:
    assert [parse_go_bool(t) for t in ("t", "TRUE", "0", "False")] == [True, True, False, False]
    assert go_quote('a"b\n') == '"a\\"b\\n"'


def test_usage_lines_as_pflag() -> None:
    text = flag_usages([string("clusterPair", "c", help="pair"), boolean("wait", help="w")])
    assert text == "  -c, --clusterPair string   pair\n      --wait                 w\n"
    assert "(default 30)" in flag_usages([integer("interval", "i", 30, "x")])
