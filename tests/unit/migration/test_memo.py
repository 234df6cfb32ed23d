"""The transform memo: keys name an object's exact content, and it stays within its bound."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from stork.migration.memo import TransformMemo, memo_key


def obj(uid: str | None, version: str | None) -> dict[str, object]:
    return {"metadata": {"uid": uid, "resourceVersion": version}}


def test_keys_need_uid_and_version_and_carry_the_context() -> None:
    assert memo_key(obj("u", "7"), "ctx") == ("u", "7", "ctx")
    assert memo_key(obj("u", "7"), "other") != memo_key(obj("u", "7"), "ctx")
    assert memo_key(obj(None, "7"), "ctx") is None
    assert memo_key(obj("u", None), "ctx") is None
    assert memo_key({}, "ctx") is None


def test_a_new_version_is_a_miss() -> None:
    memo = TransformMemo()
    memo.put(memo_key(obj("u", "7"), "c"), "h7")
    assert memo.get(memo_key(obj("u", "7"), "c")) == "h7"
    assert memo.get(memo_key(obj("u", "8"), "c")) is None
    assert memo.get(None) is None
    memo.put(None, "ignored")
    assert len(memo) == 1


def test_least_recently_used_goes_first() -> None:
    memo = TransformMemo(limit=2)
    memo.put(("a", "1", ""), "ha")
    memo.put(("b", "1", ""), "hb")
    assert memo.get(("a", "1", "")) == "ha"  # a is now the most recent
    memo.put(("c", "1", ""), "hc")
    assert memo.get(("b", "1", "")) is None
    assert memo.get(("a", "1", "")) == "ha"
    assert memo.get(("c", "1", "")) == "hc"


@given(
    st.lists(st.tuples(st.text(max_size=3), st.text(max_size=3)), max_size=60), st.integers(1, 10)
)
def test_never_over_its_limit_and_the_last_put_is_kept(
    puts: list[tuple[str, str]], limit: int
) -> None:
    memo = TransformMemo(limit=limit)
    for uid, value in puts:
        memo.put((uid, "1", ""), value)
        assert len(memo) <= limit
        assert memo.get((uid, "1", "")) == value
