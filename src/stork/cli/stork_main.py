"""``stork``: the controller, the local sandbox and the installer."""

from __future__ import annotations

import logging
import sys
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from lightkube import ApiError
from lightkube.core.exceptions import ConfigError

from stork.cli.common import cluster_options
from stork.cli.errors import exit_code_for, friendly_errors
from stork.cli.install_cmd import install
from stork.cli.sandbox_cmd import sandbox
from stork.controller import manager
from stork.controller.action import ActionSettings
from stork.controller.manager import ControllerOptions
from stork.kube.config import KubeconfigError, load_config
from stork.kube.crds import CrdInstallError
from stork.kube.pairconfig import PairPolicy
from stork.runtime.health import parse_bind_address
from stork.runtime.logs import FORMATS, configure

CONNECTION_ERRORS = (KubeconfigError, ConfigError, CrdInstallError, ApiError, OSError)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Stork-compatible Metro-DR controller for Kubernetes."""


cli.add_command(sandbox)
cli.add_command(install)


def _time_zone(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise click.BadParameter(f"unknown time zone {value!r} (expected an IANA name)") from e
    return value


@cli.command()
@cluster_options
@click.option(
    "--time-zone",
    callback=_time_zone,
    help="IANA zone of policy times without their own timeZone (default: local zone).",
)
@click.option(
    "--pair-check-interval",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds between two checks of a ClusterPair's destination.",
)
@click.option(
    "--admin-namespace",
    default="kube-system",
    show_default=True,
    help="Namespace whose Migrations may migrate other namespaces.",
)
@click.option(
    "--migration-concurrency",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Objects applied to a destination at once.",
)
@click.option(
    "--concurrent-migrations",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Migrations run at once (of different schedules): a long one holds no other.",
)
@click.option(
    "--rule-command-tries",
    type=click.IntRange(min=1),
    default=12,
    show_default=True,
    help="Tries of a pre/post-exec rule command in one pod (5 s apart) before the rule fails.",
)
@click.option(
    "--migration-retry-seconds",
    type=click.FloatRange(min=0),
    default=300.0,
    show_default=True,
    help="How long a migration retries a destination that does not answer (capped "
    "back-off) before it fails.",
)
@click.option(
    "--leader-elect/--no-leader-elect",
    default=True,
    show_default=True,
    envvar="STORK_LEADER_ELECT",
    help="Reconcile only while holding the Lease (run several replicas safely).",
)
@click.option(
    "--leader-election-namespace",
    envvar="POD_NAMESPACE",
    default="kube-system",
    show_default="$POD_NAMESPACE, else kube-system",
    help="Namespace of the Lease stork-controller.",
)
@click.option(
    "--metrics-bind-address",
    default=":8080",
    show_default=True,
    envvar="STORK_METRICS_BIND_ADDRESS",
    help="host:port of /metrics; 0 disables it.",
)
@click.option(
    "--health-probe-bind-address",
    default=":8081",
    show_default=True,
    envvar="STORK_HEALTH_PROBE_BIND_ADDRESS",
    help="host:port of /healthz and /readyz; 0 disables them.",
)
@click.option(
    "--allow-pair-exec-plugins",
    is_flag=True,
    default=False,
    help="DANGEROUS: let a ClusterPair's config make the controller run an exec or "
    "auth-provider plugin (any tenant who may create a pair could then run programs "
    "in the controller, with its credentials).",
)
@click.option(
    "--allow-pair-file-references",
    is_flag=True,
    default=False,
    help="DANGEROUS: let a ClusterPair's config name files of the controller (tokenFile, "
    "certificate and key paths), which it would read and send to the pair's server.",
)
@click.option(
    "--allow-pair-plain-http",
    is_flag=True,
    default=False,
    help="DANGEROUS: let a ClusterPair name an http:// destination (credentials in clear).",
)
@click.option(
    "--log-format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    envvar="STORK_LOG_FORMAT",
    help="text (readable) or json (one object per line).",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
    default="info",
    show_default=True,
    envvar="STORK_LOG_LEVEL",
)
@click.option(
    "--failover-probe-tries",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Tries (2 s apart) of a failover's source before it counts as unreachable (disaster "
    "case: its steps are skipped).",
)
@click.option(
    "--failover-scale-down-wait",
    type=click.FloatRange(min=0),
    default=300.0,
    show_default=True,
    help="Seconds a failover or failback waits for the pods it stopped to terminate.",
)
@click.option(
    "--failover-last-mile-timeout",
    type=click.FloatRange(min=0),
    default=900.0,
    show_default=True,
    help="Seconds a failover or failback waits for its last-mile migration before rolling back.",
)
@friendly_errors(*CONNECTION_ERRORS)
def run(
    kubeconfig: str | None,
    context: str | None,
    time_zone: str | None,
    pair_check_interval: float,
    admin_namespace: str,
    migration_concurrency: int,
    concurrent_migrations: int,
    rule_command_tries: int,
    migration_retry_seconds: float,
    leader_elect: bool,
    leader_election_namespace: str,
    metrics_bind_address: str,
    health_probe_bind_address: str,
    allow_pair_exec_plugins: bool,
    allow_pair_file_references: bool,
    allow_pair_plain_http: bool,
    log_format: str,
    log_level: str,
    failover_probe_tries: int,
    failover_scale_down_wait: float,
    failover_last_mile_timeout: float,
) -> None:
    """Run the controller in the foreground against the source cluster (until SIGTERM)."""
    configure("json" if log_format == "json" else "text", logging.getLevelName(log_level.upper()))
    for address, flag in (
        (metrics_bind_address, "--metrics-bind-address"),
        (health_probe_bind_address, "--health-probe-bind-address"),
    ):
        try:
            parse_bind_address(address)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint=flag) from e
    options = ControllerOptions(
        time_zone=time_zone,
        pair_check_interval=pair_check_interval,
        admin_namespace=admin_namespace,
        migration_concurrency=migration_concurrency,
        concurrent_migrations=concurrent_migrations,
        rule_command_tries=rule_command_tries,
        migration_retry_seconds=migration_retry_seconds,
        leader_elect=leader_elect,
        leader_election_namespace=leader_election_namespace,
        metrics_bind_address=metrics_bind_address,
        health_probe_bind_address=health_probe_bind_address,
        pair_policy=PairPolicy(
            allow_exec_plugins=allow_pair_exec_plugins,
            allow_file_references=allow_pair_file_references,
            allow_plain_http=allow_pair_plain_http,
        ),
        actions=ActionSettings(
            probe_tries=failover_probe_tries,
            scale_down_wait=failover_scale_down_wait,
            last_mile_timeout=failover_last_mile_timeout,
        ),
    )
    manager.run(load_config(kubeconfig, context), options)


def main() -> None:
    """Entry point of the ``stork`` command: any failure is one line and exit code 1."""
    try:
        cli(prog_name="stork")
    except Exception as e:  # noqa: BLE001 - never a traceback, whatever went wrong
        sys.exit(exit_code_for(e))


if __name__ == "__main__":
    main()
