"""Logging of ``stork run``: readable text or one JSON object per line.

Each line can name the object it is about (kind, namespace, name, and the controller). A call
site passes it with ``extra=about(...)``; lines logged while a reconcile runs get it from a
context variable that the runtime sets around each reconcile (``reconciling``), so the
reconcilers' own lines carry it without touching each call.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, Literal

LogFormat = Literal["text", "json"]
FORMATS: tuple[LogFormat, ...] = ("text", "json")

#: The attribute of a LogRecord that holds the object a line is about.
OBJECT_ATTR = "k8s_object"
_FIELDS = ("controller", "kind", "namespace", "name")

_current: ContextVar[dict[str, str] | None] = ContextVar("stork_log_object", default=None)


def about(
    kind: str | None = None,
    namespace: str | None = None,
    name: str | None = None,
    controller: str | None = None,
) -> dict[str, Any]:
    """``extra=`` for a log call about one object (empty fields are left out)."""
    values = {"controller": controller, "kind": kind, "namespace": namespace, "name": name}
    return {OBJECT_ATTR: {k: v for k, v in values.items() if v}}


@contextlib.contextmanager
def reconciling(controller: str, kind: str, namespace: str, name: str) -> Iterator[None]:
    """Within this block (in this task), log lines are about the given object."""
    token = _current.set(about(kind, namespace, name, controller)[OBJECT_ATTR])
    try:
        yield
    finally:
        _current.reset(token)


class ObjectFilter(logging.Filter):
    """Attaches the object of the current reconcile to records that name none themselves."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always True; only adds the attribute."""
        if getattr(record, OBJECT_ATTR, None) is None:
            current = _current.get()
            setattr(record, OBJECT_ATTR, dict(current) if current else {})
        return True


def _object(record: logging.LogRecord) -> dict[str, str]:
    value = getattr(record, OBJECT_ATTR, None)
    return value if isinstance(value, dict) else {}


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message [Kind namespace/name]``: readable by people."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """The line, with the object appended in brackets when known."""
        line = super().format(record)
        obj = _object(record)
        if not obj.get("name"):
            return line
        ref = "/".join(p for p in (obj.get("namespace"), obj["name"]) if p)
        suffix = f" [{obj['kind']} {ref}]" if obj.get("kind") else f" [{ref}]"
        first, sep, rest = line.partition("\n")  # keep a traceback below the message line
        return first + suffix + sep + rest


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, object fields, error."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single line of JSON."""
        stamp = dt.datetime.fromtimestamp(record.created, dt.UTC)
        entry: dict[str, Any] = {
            "time": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        obj = _object(record)
        entry.update({k: obj[k] for k in _FIELDS if obj.get(k)})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(log_format: LogFormat = "text", level: int = logging.INFO) -> None:
    """Send the root logger's records to stderr in ``log_format`` (replacing other handlers)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(ObjectFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # one line per request is noise
