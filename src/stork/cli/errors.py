"""Failures as kubectl's ``CheckErr`` prints them: one line on stderr, exit code 1, no traceback.

- ``UserError``: ``error: <message>`` (Stork's ``util.CheckErr(fmt.Errorf(...))``);
- an API error: ``Error from server (<Reason>): <message>`` (``Error from server: ...`` without a
  reason; ``The <Kind> "<name>" is invalid: ...`` for a 422; ``error: You must be logged in to the
  server (...)`` for a 401);
- an API server that kept answering 429 or 5xx, or that could not be reached, until the retry
  deadline ran out (``stork.kube.transport``; for creates ``writes``): ``error: ...`` saying so;
- anything else (a defect): ``error: <type>: <message>``, still one line.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click
import httpx2
from lightkube import ApiError
from lightkube.core.exceptions import ConfigError

from stork.kube.config import KubeconfigError
from stork.kube.errors import Disposition, status_disposition

P = ParamSpec("P")
R = TypeVar("R")


class UserError(click.ClickException):
    """An error the user can act on; printed as ``error: <message>``."""

    def show(self, file: object = None) -> None:
        """Print kubectl-style: ``error: <message>`` on stderr."""
        _fatal(f"error: {self.format_message()}")


class ServerError(UserError):
    """A line printed as it is (kubectl's ``Error from server ...`` and the like)."""

    def show(self, file: object = None) -> None:
        """Print the message as it is, on stderr."""
        _fatal(self.format_message())


def _fatal(message: str) -> None:
    """kubectl's ``fatal``: the message on stderr, a newline added unless it ends in one."""
    click.echo(message, err=True, nl=not message.endswith("\n"))


class Exit(Exception):  # noqa: N818 - named as click's Exit, which it replaces here
    """Stop with this exit code; whatever had to be said was printed already."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


NOT_FOUND_TEXT = "the server could not find the requested resource"


def status_message(e: ApiError) -> str:
    """The server's message (what Go's ``StatusError.Error()`` returns)."""
    return str(e.status.message or "")


def server_message(e: httpx2.HTTPStatusError) -> str:
    """What client-go's error says about an error answer (also one without a Status body,
    such as the 404 of a resource type the server does not have)."""
    if isinstance(e, ApiError):
        return status_message(e)
    if e.response.status_code == 404:
        return NOT_FOUND_TEXT
    return f"the server answered {e.response.status_code} {e.response.reason_phrase}"


def api_error_line(e: ApiError) -> str:
    """The line kubectl prints for an error answer of the API server."""
    status = e.status
    code = status.code or 0
    reason = status.reason or ""
    # 429 and 5xx were retried until the deadline (creates by ``writes``, the rest by the
    # transport): say so, in one line.
    if status_disposition(code, "GET") is Disposition.RETRY:
        return (
            f"error: the server kept answering {code} {reason} until storkctl gave up retrying: "
            f"{status_message(e)}"
        )
    if reason == "Unauthorized":
        return f"error: You must be logged in to the server ({status_message(e)})"
    if reason == "Invalid":
        return _invalid_line(e)
    if reason:
        return f"Error from server ({reason}): {status_message(e)}"
    return f"Error from server: {status_message(e)}"


def _invalid_line(e: ApiError) -> str:
    details = e.status.details
    if details is None:
        return "The request is invalid"
    head = "The request is invalid"
    if details.kind or details.name:
        head = f'The {details.kind or ""} "{details.name or ""}" is invalid'
    causes = []
    for cause in details.causes or []:
        text = f"{cause.field}: {cause.message}"
        if text not in causes:
            causes.append(text)
    if not causes:
        return head
    if len(causes) == 1:
        return f"{head}: {causes[0]}"
    return f"{head}: \n" + "\n".join(f"* {c}" for c in causes)


def transport_error_line(e: httpx2.TransportError) -> str:
    """An API server that did not answer (after the retries): one ``error:`` line."""
    try:
        where = e.request.url.netloc.decode()
    except RuntimeError:  # no request attached
        where = "the server"
    if isinstance(e, httpx2.ConnectError) and "refused" in str(e).lower():
        return (
            f"error: the connection to the server {where} was refused until storkctl gave up "
            "retrying - did you specify the right host or port?"
        )
    if isinstance(e, httpx2.TimeoutException):
        return f"error: the server {where} did not answer in time: {type(e).__name__}"
    return (
        f"error: unable to connect to the server {where} until storkctl gave up retrying: "
        f"{e or type(e).__name__}"
    )


#: The exit code of a command ended by Ctrl-C (as a shell reports SIGINT).
INTERRUPTED = 130


def exit_code_for(e: BaseException) -> int:
    """Print ``e`` as kubectl would (one line) and return the exit code to use."""
    if isinstance(e, Exit):
        return e.code
    if isinstance(e, click.ClickException):
        e.show()
        return 1
    if isinstance(e, KeyboardInterrupt):
        return INTERRUPTED
    if isinstance(e, BrokenPipeError):
        return 1
    if isinstance(e, SystemExit):
        return e.code if isinstance(e.code, int) else 1
    if isinstance(e, ApiError):
        line = api_error_line(e)
    elif isinstance(e, httpx2.HTTPStatusError):
        code = e.response.status_code
        if status_disposition(code, "GET") is Disposition.RETRY:
            line = (
                f"error: the server kept answering {code} {e.response.reason_phrase} until "
                "storkctl gave up retrying"
            )
        else:
            reason = "NotFound" if code == 404 else e.response.reason_phrase
            line = f"Error from server ({reason}): {server_message(e)}"
    elif isinstance(e, httpx2.TransportError):
        line = transport_error_line(e)
    elif isinstance(e, KubeconfigError | ConfigError):
        line = f"error: {e}"
    elif isinstance(e, Exception):
        line = f"error: {type(e).__name__}: {e}"
    else:
        raise e
    click.echo(line, err=True)
    return 1


def friendly_errors(*kinds: type[Exception]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Report the given exception types as ``error: <message>`` instead of a traceback."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except kinds as e:
                raise UserError(str(e)) from e

        return wrapper

    return decorate
