"""The memo: keys per destination and source uid, freshness by version and context, bounded."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from stork.migration.memo import Memory, TransformMemo, memo_key, source_version


def obj(uid: str | None, version: str | None) -> dict[str, object]:
    return {"metadata": {"uid": uid, "resourceVersion": version}}


def test_keys_need_uid_and_version_and_name_the_destination() -> None:
    assert memo_key(obj("u", "7"), "https://dr") == ("https://dr", "u")
    assert memo_key(obj("u", "7"), "https://other") != memo_key(obj("u", "7"), "https://dr")
    # A new version of the object has the same key: what is remembered is replaced.
    assert memo_key(obj("u", "8"), "https://dr") == memo_key(obj("u", "7"), "https://dr")
    assert memo_key(obj(None, "7"), "d") is None
    assert memo_key(obj("u", None), "d") is None
    assert memo_key({}, "d") is None


def test_a_memory_is_fresh_for_the_same_version_and_context_only() -> None:
    memory = Memory("7", "ctx", "h7")
    assert memory.fresh(obj("u", "7"), "ctx")
    assert not memory.fresh(obj("u", "8"), "ctx")
    assert not memory.fresh(obj("u", "7"), "other")
    assert source_version(obj("u", "7")) == "7"
    assert source_version(obj("u", None)) is None


def test_least_recently_used_goes_first() -> None:
    memo = TransformMemo(limit=2)
    memo.put(("d", "a"), Memory("1", "", "ha"))
    memo.put(("d", "b"), Memory("1", "", "hb"))
    assert memo.get(("d", "a")) == Memory("1", "", "ha")  # a is now the most recent
    memo.put(("d", "c"), Memory("1", "", "hc"))
    assert memo.get(("d", "b")) is None
    assert memo.get(("d", "a")) is not None
    assert memo.get(("d", "c")) is not None
    assert memo.get(None) is None
    memo.put(None, Memory("1", "", "ignored"))
    assert len(memo) == 2


@given(
    st.lists(st.tuples(st.text(max_size=3), st.text(max_size=3)), max_size=60), st.integers(1, 10)
)
def test_never_over_its_limit_and_the_last_put_is_kept(
    puts: list[tuple[str, str]], limit: int
) -> None:
    memo = TransformMemo(limit=limit)
    for uid, value in puts:
        memo.put(("d", uid), Memory("1", "", value))
        assert len(memo) <= limit
        remembered = memo.get(("d", uid))
        assert remembered is not None
        assert remembered.hash == value
