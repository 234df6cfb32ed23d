"""The informer's handling of watch events, and the factory's sharing (no API involved; the
watch itself against a real apiserver is in tests/integration/test_watch_recovery.py)."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from lightkube.resources.core_v1 import ConfigMap, Namespace

from stork.kube.discovery import ResourceType
from stork.kube.rest import Rest, RestError
from stork.runtime.informer import Informer, InformerFactory, WatchExpiredError

CONFIGMAPS = ResourceType("", "v1", "ConfigMap", "configmaps", True)


def line(kind: str, obj: dict[str, Any]) -> str:
    return json.dumps({"type": kind, "object": obj})


def configmap(name: str, version: str, **extra: Any) -> dict[str, Any]:
    meta = {"name": name, "namespace": "ns", "resourceVersion": version}
    return {"metadata": meta, **extra}


def informer(**kwargs: Any) -> tuple[Informer, list[Any]]:
    seen: list[Any] = []
    inf = Informer(Rest(httpx2.AsyncClient()), CONFIGMAPS, **kwargs)
    inf.handlers.append(lambda key: seen.append(("key", key)))
    inf.observers.append(lambda old, new: seen.append(("change", old, new)))
    return inf, seen


def test_a_bookmark_moves_the_version_on_and_touches_nothing() -> None:
    inf, seen = informer()
    bookmark = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"resourceVersion": "42"}}
    assert inf.apply_event(line("BOOKMARK", bookmark), "7") == "42"
    assert inf.keys() == []
    assert seen == []


def test_events_fill_and_empty_the_cache_through_the_transform() -> None:
    def drop_data(obj: dict[str, Any]) -> dict[str, Any]:
        obj.pop("data", None)
        return obj

    inf, seen = informer(transform=drop_data)
    version = inf.apply_event(line("ADDED", configmap("a", "10", data={"big": "x"})), "7")
    assert version == "10"
    cached = inf.get(("ns", "a"))
    assert cached is not None
    assert "data" not in cached
    assert (cached["apiVersion"], cached["kind"]) == ("v1", "ConfigMap")
    assert inf.apply_event(line("MODIFIED", configmap("a", "11")), version) == "11"
    assert inf.apply_event(line("DELETED", configmap("a", "12")), "11") == "12"
    assert inf.get(("ns", "a")) is None
    keys = [entry[1] for entry in seen if entry[0] == "key"]
    assert keys == [("ns", "a")] * 3
    changes = [(e[1] is None, e[2] is None) for e in seen if e[0] == "change"]
    assert changes == [(True, False), (False, False), (False, True)]


def test_an_expired_version_and_other_errors_are_raised() -> None:
    inf, _ = informer()
    gone = {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old"}
    with pytest.raises(WatchExpiredError, match="too old"):
        inf.apply_event(line("ERROR", gone), "7")
    broken = {"kind": "Status", "code": 500, "reason": "InternalError", "message": "boom"}
    with pytest.raises(RestError, match="boom"):
        inf.apply_event(line("ERROR", broken), "7")


def test_timeouts_are_checked() -> None:
    with pytest.raises(ValueError, match="watch_timeout"):
        Informer(Rest(httpx2.AsyncClient()), CONFIGMAPS, watch_timeout=0.5)
    with pytest.raises(ValueError, match="inactivity_timeout longer"):  # would flap when quiet
        Informer(Rest(httpx2.AsyncClient()), CONFIGMAPS, watch_timeout=60, inactivity_timeout=60)


def test_the_factory_shares_one_informer_per_kind_with_its_transform() -> None:
    def transform(obj: dict[str, Any]) -> dict[str, Any]:
        return obj

    factory = InformerFactory(Rest(httpx2.AsyncClient()), {ConfigMap: transform})
    first = factory.informer(ConfigMap)
    assert factory.informer(CONFIGMAPS) is first  # a lightkube class or a ResourceType
    assert first.transform is transform
    namespaces = factory.informer(Namespace)
    assert namespaces.transform is None
    assert namespaces.resource == ResourceType("", "v1", "Namespace", "namespaces", False)
    assert factory.informers == [first, namespaces]
    assert not factory.synced()
    first.synced.set()
    namespaces.synced.set()
    assert factory.synced()
