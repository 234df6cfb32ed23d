from stork.cli.table import format_table


def test_columns_are_padded_by_three_spaces_after_the_widest_cell() -> None:
    text = format_table(["NAME", "STATUS"], [["a", "Ready"], ["longer-name", "Error"]])
    assert text.splitlines() == [
        "NAME          STATUS",
        "a             Ready",
        "longer-name   Error",
    ]


def test_last_column_is_not_padded() -> None:
    text = format_table(["A", "B"], [["x", "y"]])
    assert all(not line.endswith(" ") for line in text.splitlines())


def test_header_only_when_no_rows() -> None:
    assert format_table(["NAME", "AGE"], []) == "NAME   AGE"
