"""One wording for a destination that does not answer, wherever it is found out."""

from __future__ import annotations

import httpx2

from stork.migration.apply import DestinationUnreachable, unreachable_message


def test_the_reason_is_quoted_or_the_error_type_named_when_it_says_nothing() -> None:
    refused = httpx2.ConnectError("[Errno 111] Connection refused")
    assert unreachable_message(refused) == (
        "destination did not answer: [Errno 111] Connection refused"
    )
    assert unreachable_message(httpx2.ReadTimeout("")) == (
        "destination did not answer (ReadTimeout)"
    )
    error = DestinationUnreachable.of(httpx2.RemoteProtocolError(""))
    assert str(error) == "destination did not answer (RemoteProtocolError)"
