from stork.kube.discovery import ResourceType
from stork.migration.resources import Selection, collected_types
from stork.migration.spec import MigrationOptions, label_selector


def test_defaults_follow_stork() -> None:
    o = MigrationOptions.from_spec({"clusterPair": "p", "namespaces": ["a"]})
    assert (o.include_resources, o.include_volumes, o.start_applications) == (True, True, False)
    assert (o.skip_deleted_namespaces, o.purge_deleted_resources) == (True, False)
    nulls = MigrationOptions.from_spec({"includeResources": None, "startApplications": None})
    assert (nulls.include_resources, nulls.start_applications) == (True, False)


def test_old_and_new_exclude_selector_names_merge() -> None:
    o = MigrationOptions.from_spec({"excludeResources": {"a": "1"}, "excludeSelectors": {"b": "2"}})
    assert dict(o.exclude_selectors) == {"a": "1", "b": "2"}


def test_label_selector() -> None:
    assert label_selector({"b": "2", "a": "1"}) == "a=1,b=2"
    assert label_selector({}) is None


T = ResourceType
TYPES = [
    T("", "v1", "ConfigMap", "configmaps", True),
    T("", "v1", "Pod", "pods", True),
    T("", "v1", "Event", "events", True),
    T("", "v1", "PersistentVolume", "persistentvolumes", False),
    T("batch", "v1", "Job", "jobs", True),
    T("apps", "v1", "Deployment", "deployments", True),
    T("example.com", "v1", "Widget", "widgets", True),
    T("example.com", "v1", "ClusterWidget", "clusterwidgets", False),
    T("stork.libopenstorage.org", "v1alpha1", "Migration", "migrations", True),
    T("snapshot.storage.k8s.io", "v1", "VolumeSnapshot", "volumesnapshots", True),
]
CUSTOM = {"example.com", "stork.libopenstorage.org", "snapshot.storage.k8s.io"}


def _kinds(selection: Selection) -> list[str]:
    return [t.kind for t in collected_types(TYPES, CUSTOM, selection)]


def test_collected_types() -> None:
    assert sorted(_kinds(Selection())) == [
        "ConfigMap",
        "Deployment",
        "PersistentVolume",
        "Widget",
    ]


def test_jobs_only_when_asked_and_excludes_are_case_insensitive() -> None:
    selection = Selection.from_spec(["Jobs"], ["configmap", "DEPLOYMENT"], False)
    assert sorted(_kinds(selection)) == ["Job", "PersistentVolume", "Widget"]


def test_volumes_only() -> None:
    assert _kinds(Selection.from_spec(None, None, True)) == ["PersistentVolume"]
