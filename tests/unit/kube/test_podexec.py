"""pods/exec results: the final Status, and the output kept of each stream."""

from __future__ import annotations

from stork.kube.podexec import OUTPUT_LIMIT, OutputSink, status_error


def test_final_status() -> None:
    assert status_error({"status": "Success"}) is None
    failure = {
        "status": "Failure",
        "message": "command terminated with non-zero exit code: exit status 3",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": "3"}]},
    }
    assert status_error(failure) == "command terminated with non-zero exit code: exit status 3"
    assert (
        status_error(
            {
                "status": "Failure",
                "reason": "InternalError",
                "details": {"causes": [{"reason": "ExitCode", "message": "2"}]},
            }
        )
        == "InternalError (exit code 2)"
    )


def test_output_is_kept_bounded() -> None:
    sink = OutputSink()
    big = b"x" * (OUTPUT_LIMIT - 3)
    assert sink.write(big) == len(big)
    assert sink.write(bytearray(b"marker\n")) == 7
    assert sink.write(b"more") == 4
    assert sink.text() == "x" * (OUTPUT_LIMIT - 3) + "mar"  # at most OUTPUT_LIMIT kept
    assert OutputSink().text() == ""
    assert OutputSink(limit=4).write(b"\xff\xfeab") == 4
