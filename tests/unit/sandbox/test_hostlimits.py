"""The inotify limit: raised once while nodes run, put back as found."""

from pathlib import Path

from stork.sandbox.hostlimits import WANTED, raise_limit, restore


def test_raised_then_put_back(tmp_path: Path) -> None:
    limit, record = tmp_path / "limit", tmp_path / "record"
    limit.write_text("128\n")
    assert raise_limit(record, limit)
    assert int(limit.read_text()) == WANTED
    assert not raise_limit(record, limit)  # a second sandbox: nothing to do
    assert record.read_text() == "128\n"
    restore(record, limit)
    assert limit.read_text() == "128\n"
    assert not record.exists()


def test_a_higher_limit_is_left_alone_and_a_changed_one_not_put_back(tmp_path: Path) -> None:
    limit, record = tmp_path / "limit", tmp_path / "record"
    limit.write_text("8192\n")
    assert not raise_limit(record, limit)
    assert not record.exists()
    limit.write_text("128\n")
    raise_limit(record, limit)
    limit.write_text("4096\n")  # someone else's setting meanwhile
    restore(record, limit)
    assert limit.read_text() == "4096\n"
    assert not record.exists()
