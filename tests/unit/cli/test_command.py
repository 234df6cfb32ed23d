"""storkctl's dispatch as Stork's cobra does it: paths, flag errors, help, argument errors.

No cluster: the kubeconfig names a loopback port nobody listens on, and every case here fails
(or not) before storkctl would talk to it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from stork.cli.command import Command, dispatch, find
from stork.cli.goflags import boolean, string
from stork.cli.storkctl_main import ROOT, cli


@pytest.fixture
def kubeconfig(tmp_path: Path) -> Path:
    path = tmp_path / "config"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "c",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
            }
        )
    )
    return path


def storkctl(kubeconfig: Path, *args: str) -> Result:
    env = {"KUBECONFIG": str(kubeconfig), "STORK_RETRY_SECONDS": "0"}
    return CliRunner().invoke(cli, list(args), env=env)


def test_the_path_is_found_among_flags() -> None:
    path, rest = find(ROOT, ["-n", "x", "get", "migration", "--all-namespaces", "a", "-c", "p"])
    assert [c.name for c in path] == ["storkctl", "get", "migrations"]
    assert rest == ["-n", "x", "--all-namespaces", "a", "-c", "p"]
    # as cobra: a flag the group does not know is taken to have a value, here "migration"
    path, rest = find(ROOT, ["get", "--all-namespaces", "migration"])
    assert [c.name for c in path] == ["storkctl", "get"]


def test_global_flags_anywhere_last_wins(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[str] = []
    root = Command("storkctl", "root")
    group = Command("get", "get")
    root.add(group)
    group.add(Command("x", "x", lambda inv: seen.append(inv.namespace), needs_cluster=False))
    assert dispatch(root, ["-n", "a", "get", "x"]) == 0
    assert dispatch(root, ["get", "-n", "a", "x", "-n", "b"]) == 0
    assert dispatch(root, ["get", "x"]) == 0
    assert seen == ["a", "b", "default"]


def test_a_commands_own_flag_shadows_the_global_one() -> None:
    seen: list[str] = []
    root = Command("storkctl", "root")
    root.add(
        Command(
            "x",
            "x",
            lambda inv: seen.append(inv.namespace),
            flags=(string("namespace", "n", "own"), boolean("b")),
            needs_cluster=False,
        )
    )
    assert dispatch(root, ["x"]) == 0
    assert dispatch(root, ["-n", "y", "x"]) == 0
    assert seen == ["own", "y"]


def test_unknown_root_command_and_group_help(kubeconfig: Path) -> None:
    result = storkctl(kubeconfig, "gte", "migrations")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == 'Error: unknown command "gte" for "storkctl"'
    assert "Did you mean this?\n\tget\n" in result.stderr
    assert result.stderr.endswith("Run 'storkctl --help' for usage.\n")
    for args in (
        ["get"],
        ["get", "nothing-like-that"],
        [],
        ["--help"],
        ["get", "migrations", "-h"],
    ):
        shown = storkctl(kubeconfig, *args)
        assert shown.exit_code == 0, args
        assert "Usage:\n  storkctl" in shown.stdout
        assert shown.stderr == ""
    assert "generate" not in storkctl(kubeconfig).stdout  # hidden (deprecated), still works


@pytest.mark.parametrize(
    ("args", "first_line"),
    [
        (["get", "migrations", "--bogus"], "Error: unknown flag: --bogus"),
        (["get", "-A", "migrations"], "Error: unknown shorthand flag: 'A' in -A"),
        (
            ["create", "migrationschedules", "x", "-i", "abc"],
            'Error: invalid argument "abc" for "-i, --interval" flag: strconv.ParseInt: parsing '
            '"abc": invalid syntax',
        ),
        (
            ["create", "migrations", "m", "--includeVolumes=maybe"],
            'Error: invalid argument "maybe" for "--includeVolumes" flag: strconv.ParseBool: '
            'parsing "maybe": invalid syntax',
        ),
        (["suspend", "migrationschedules", "-c"], "Error: flag needs an argument: 'c' in -c"),
        (["delete", "sp", "--kubeconfig"], "Error: flag needs an argument: --kubeconfig"),
        (
            ["activate", "migrations", "-a=maybe"],
            'Error: invalid argument "maybe" for "-a, --all-namespaces" flag: strconv.ParseBool: '
            'parsing "maybe": invalid syntax',
        ),
        (["deactivate", "migrations", "-x"], "Error: unknown shorthand flag: 'x' in -x"),
        (["get", "schedulepolicy", "--all-namespaces"], "Error: unknown flag: --all-namespaces"),
        (
            ["resume", "migrationschedules", "--clusterpair", "p"],
            "Error: unknown flag: --clusterpair",
        ),
        (
            ["generate", "clusterpair", "p", "--secret=maybe"],
            'Error: invalid argument "maybe" for "--secret" flag: strconv.ParseBool: parsing '
            '"maybe": invalid syntax',
        ),
        (
            ["create", "migrationschedule", "s", "--annotations", "novalue"],
            'Error: invalid argument "novalue" for "--annotations" flag: novalue must be formatted '
            "as key=value",
        ),
    ],
)
def test_flag_errors_are_cobras(kubeconfig: Path, args: list[str], first_line: str) -> None:
    result = storkctl(kubeconfig, *args)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == first_line
    assert result.stderr.splitlines()[1] == "Usage:"
    assert result.stdout == ""


NEED_SCHEDULE = (
    "error: at least one argument needs to be provided for migration schedule name if cluster "
    "pair isn't provided"
)

#: Stork's argument errors of every command, each before storkctl talks to the cluster.
ARGUMENT_ERRORS = [
    (
        ["create", "schedulepolicy"],
        "error: exactly one name needs to be provided for schedule policy name",
    ),
    (
        ["create", "sp", "a", "b"],
        "error: exactly one name needs to be provided for schedule policy name",
    ),
    (
        ["create", "sp", "p", "-t", "Invalid"],
        "error: need to provide a valid schedule policy type. Valid schedule types are Interval, "
        "Daily, Weekly and Monthly",
    ),
    (
        ["create", "sp", "p", "-t", "Invalid", "--retain", "-1"],
        "error: need to provide a valid value for retain. It should be a positive integer",
    ),
    (
        ["delete", "schedulepolicy"],
        "error: at least one argument needs to be provided for schedule policy name",
    ),
    (
        ["describe", "schedulepolicy"],
        "error: at least one argument needs to be provided for schedule policy name",
    ),
    (["create", "migrations"], "error: exactly one name needs to be provided for migration name"),
    (
        ["create", "migration", "a", "b", "-c", "p"],
        "error: exactly one name needs to be provided for migration name",
    ),
    (["create", "migrations", "m"], "error: ClusterPair name needs to be provided for migration"),
    (
        ["create", "migrations", "-c", "p", "m"],
        "error: need to provide atleast one namespace to migrate",
    ),
    (
        ["create", "migrations", "-c", "p", "m", "--namespaces="],
        "error: need to provide atleast one namespace to migrate",
    ),
    (
        ["delete", "migrations"],
        "error: at least one argument needs to be provided for migration name",
    ),
    (
        ["create", "migrationschedules"],
        "error: exactly one name needs to be provided for migration schedule name",
    ),
    (
        ["create", "migrationschedule", "m"],
        "error: ClusterPair name needs to be provided for migration schedule",
    ),
    (["delete", "migrationschedules"], NEED_SCHEDULE),
    (["suspend", "migrationschedules"], NEED_SCHEDULE),
    (["resume", "migrationschedule"], NEED_SCHEDULE),
    (
        ["generate", "clusterpair"],
        "error: exactly one name needs to be provided for clusterpair name",
    ),
    (
        ["generate", "clusterpair", "pair_test", "-n", "test"],
        'error: the Name "pair_test" is not valid: [a lowercase RFC 1123 subdomain must consist of '
        "lower case alphanumeric characters, '-' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')]",
    ),
    (
        ["generate", "clusterpair", "pair1", "-n", "test_namespace"],
        'error: the Namespace "test_namespace" is not valid: [a lowercase RFC 1123 label must '
        "consist of lower case alphanumeric characters or '-', and must start and end with an "
        "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')]",
    ),
    (["generate", "clusterpair", "p", "-s", "x"], "error: invalid storage options"),
    (
        ["create", "clusterpair"],
        "error: exactly one name needs to be provided for clusterpair name",
    ),
    (
        ["create", "clusterpair", "uni-pair1", "-n", "test", "--unidirectional"],
        'error: missing parameter "src-kube-file" - Kubeconfig file missing for source cluster',
    ),
    (
        ["create", "clusterpair", "p", "--src-kube-file", "a", "-u"],
        'error: missing parameter "dest-kube-file" - Kubeconfig file missing for destination '
        "cluster",
    ),
    (
        ["create", "clusterpair", "p", "--src-kube-file", "a", "--dest-kube-file", "a", "-u"],
        "error: source kubeconfig file and destination kubeconfig file should be different",
    ),
    (
        ["create", "clusterpair", "p", "--mode", "xyz"],
        "error: invalid mode xyz, mode value should either be async-dr, sync-dr or migration",
    ),
    (
        ["create", "clusterpair", "p", "--src-kube-file", "a", "--dest-kube-file", "b"],
        "error: mode async-dr pairs the storage too and needs a storage driver, which this stork "
        "does not have; only --mode sync-dr (Metro DR) is supported",
    ),
    (
        ["delete", "clusterpair"],
        "error: at least one argument needs to be provided for clusterpair name",
    ),
]


@pytest.mark.parametrize(("args", "first_line"), ARGUMENT_ERRORS)
def test_argument_errors_are_storks(kubeconfig: Path, args: list[str], first_line: str) -> None:
    result = storkctl(kubeconfig, *args)
    assert (result.exit_code, result.stderr.splitlines()[0], result.stdout) == (1, first_line, "")


def test_deprecated_endpoint_flags_make_create_clusterpair_do_nothing(kubeconfig: Path) -> None:
    result = storkctl(kubeconfig, "create", "clusterpair", "p", "--src-ip", "1.2.3.4")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "Flag --src-ip has been deprecated, instead provide --src-ep\n"


def test_TestCreateUniDirectionalClusterPairMissingParameters(
    kubeconfig: Path, tmp_path: Path
) -> None:
    """Stork's test, with its temporary kubeconfig files (no cluster is reached)."""
    src, dest, src_dup = (
        tmp_path / "src.config",
        tmp_path / "dest.config",
        tmp_path / "srcDup.config",
    )
    src.write_text("source")
    dest.write_text("destination")
    src_dup.write_text("source")
    base = ["create", "clusterpair", "uni-pair1", "-n", "test"]
    cases = [
        (
            [*base, "--unidirectional"],
            'error: missing parameter "src-kube-file" - Kubeconfig file missing for source cluster',
        ),
        (
            [*base, "--src-kube-file", str(src), "--unidirectional"],
            'error: missing parameter "dest-kube-file" - Kubeconfig file missing for destination cluster',
        ),
        (
            [*base, "--src-kube-file", str(src), "--dest-kube-file", str(src), "-u"],
            "error: source kubeconfig file and destination kubeconfig file should be different",
        ),
        (
            [*base, "--src-kube-file", str(src), "--dest-kube-file", str(src_dup), "-u"],
            "error: source kubeconfig and destination kubeconfig file should be different",
        ),
        (
            [
                *base,
                "--src-kube-file",
                str(src),
                "--dest-kube-file",
                str(src_dup),
                "-u",
                "--mode",
                "xyz",
            ],
            "error: invalid mode xyz, mode value should either be async-dr, sync-dr or migration",
        ),
    ]
    for args, first_line in cases:
        result = storkctl(kubeconfig, *args)
        assert (result.exit_code, result.stderr.splitlines()[0], result.stdout) == (
            1,
            first_line,
            "",
        )


def test_TestVersion(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = CliRunner().invoke(cli, ["version"], env={"KUBECONFIG": str(tmp_path / "none")})
    assert (result.exit_code, result.stdout) == (0, f"storkctl Version: {version('stork-py')}\n")


def test_help_command_and_deprecated_generate(kubeconfig: Path) -> None:
    shown = storkctl(kubeconfig, "help", "get", "migrations")
    assert shown.exit_code == 0
    assert shown.stdout.startswith(
        "Get migration resources\n\nUsage:\n  storkctl get migrations [flags]\n"
    )
    group = storkctl(kubeconfig, "generate")  # the deprecated group itself says so (cobra)
    assert group.exit_code == 0
    assert group.stderr == 'Command "generate" is deprecated, use command "create" instead.\n'
    leaf = storkctl(kubeconfig, "generate", "clusterpair", "Bad_Name")  # its leaves do not
    assert leaf.stderr.startswith('error: the Name "Bad_Name" is not valid')
