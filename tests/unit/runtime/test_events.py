"""Event messages cut to the API's limit in bytes of UTF-8, never inside a character."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from stork.runtime.events import MESSAGE_LIMIT, truncate_message


def test_short_messages_are_kept_and_long_ones_marked() -> None:
    assert truncate_message("ok") == "ok"
    exact = "x" * MESSAGE_LIMIT
    assert truncate_message(exact) == exact
    cut = truncate_message("x" * (MESSAGE_LIMIT + 1))
    assert cut == "x" * (MESSAGE_LIMIT - 4) + " ..."
    assert truncate_message("€" * 10, limit=10) == "€€ ..."  # 3 bytes each: 2 fit before " ..."


@given(st.text(), st.integers(min_value=8, max_value=2048))
def test_the_result_always_fits_and_is_a_prefix(message: str, limit: int) -> None:
    cut = truncate_message(message, limit)
    assert len(cut.encode()) <= limit
    if cut != message:
        assert cut.endswith(" ...")
        assert message.startswith(cut[: -len(" ...")])
