"""Turning expected failures into one clear line on stderr and exit code 1 (never a traceback)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

P = ParamSpec("P")
R = TypeVar("R")


class UserError(click.ClickException):
    """An error the user can act on; printed as ``error: <message>``."""

    def show(self, file: object = None) -> None:
        """Print kubectl-style: ``error: <message>`` on stderr."""
        click.echo(f"error: {self.format_message()}", err=True)


class ServerError(UserError):
    """An error the API server returned; printed as kubectl does (``Error from server ...``)."""

    def show(self, file: object = None) -> None:
        """Print the message as it is, on stderr."""
        click.echo(self.format_message(), err=True)


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
