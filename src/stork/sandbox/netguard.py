"""The sandbox's iptables rules on the host: the network guard, and the nodes' DNAT.

**Guard** (whenever the sandbox runs as root, nodes or not). A migrated webhook configuration
makes the destination apiserver dial its Service's ClusterIP; on a machine with a default
route that packet would leave the machine. So every packet this machine sends to the clusters'
service CIDRs or to the sandbox's pod networks by any interface other than the sandbox's own
bridges is rejected locally (``network is unreachable``, at once). With nodes, the pods' bridges
are kept on the machine too: nothing is forwarded to or from them (pods reach each other over
their bridge), and from a bridge only the DNAT'd apiserver addresses of 127.0.0.0/8 are
reachable.

**DNAT** (with nodes). Pods reach the apiservers, which listen on 127.0.0.1, through the
``kubernetes`` Service IPs: packets from a bridge to ``<service IP>:443`` go to
``127.0.0.1:<that apiserver's port>`` (the bridge has ``route_localnet``).

Every rule lives in chains of the sandbox's own (``STORK-<id>-...``), entered from the built-in
chains by one rule each that carries the comment ``stork-sandbox:<id>``. Each sandbox has its own
id (several may run at once, with the same CIDRs): installing rewrites only its chains, and
removing deletes only its rules, never another sandbox's.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field

from stork.sandbox.errors import SandboxError

COMMENT_PREFIX = "stork-sandbox"
LOOPBACK = "127.0.0.0/8"


class GuardError(SandboxError):
    """iptables is missing or refused the rules."""


@dataclass(frozen=True)
class Dnat:
    """A Service IP that pods reach, and the loopback port of the apiserver behind it."""

    service_ip: str
    port: int


@dataclass(frozen=True)
class GuardSpec:
    """Everything the rules of one sandbox depend on."""

    sandbox_id: str
    #: service CIDRs of both clusters, and the pod networks with nodes
    cidrs: tuple[str, ...]
    #: the nodes' bridges (none without nodes)
    bridges: tuple[str, ...] = ()
    #: the Service IPs pods reach (only with bridges)
    dnat: tuple[Dnat, ...] = field(default=())

    @property
    def comment(self) -> str:
        """The comment on every rule of this sandbox."""
        return f"{COMMENT_PREFIX}:{self.sandbox_id}"


def chain(sandbox_id: str, role: str) -> str:
    """The name of one of a sandbox's chains (``role``: OUT, IN, FWD, DNAT)."""
    return f"STORK-{sandbox_id}-{role}"


#: (table, built-in chain, our chain's role); IN, FWD and DNAT only exist with bridges.
_HOOKS = (
    ("filter", "OUTPUT", "OUT"),
    ("filter", "INPUT", "IN"),
    ("filter", "FORWARD", "FWD"),
    ("nat", "PREROUTING", "DNAT"),
)


def _hooks(spec: GuardSpec) -> list[tuple[str, str, str]]:
    return [h for h in _HOOKS if h[2] == "OUT" or spec.bridges]


def _jump(spec: GuardSpec, builtin: str, role: str) -> str:
    return f'{builtin} -m comment --comment "{spec.comment}" -j {chain(spec.sandbox_id, role)}'


def _chain_rules(spec: GuardSpec, role: str) -> list[str]:
    """The rules of one of the sandbox's chains (without ``-A CHAIN``)."""
    c = f'-m comment --comment "{spec.comment}"'
    if role == "OUT":
        keep = [f"-o {b} {c} -j RETURN" for b in spec.bridges]
        reject = [
            f"-d {cidr} {c} -j REJECT --reject-with icmp-net-unreachable" for cidr in spec.cidrs
        ]
        return keep + reject
    if role == "IN":  # route_localnet on a bridge: only the DNAT'd apiservers, nothing else
        return [
            f"-i {b} -d {LOOPBACK} -m conntrack ! --ctstate DNAT {c} -j DROP" for b in spec.bridges
        ]
    if role == "FWD":  # bridged pod-to-pod traffic passes FORWARD (br_netfilter); routed does not
        rules: list[str] = []
        for b in spec.bridges:
            rules += [f"-i {b} -o {b} {c} -j RETURN", f"-i {b} {c} -j DROP", f"-o {b} {c} -j DROP"]
        return rules
    return [
        f"-i {b} -d {d.service_ip}/32 -p tcp --dport 443 {c} "
        f"-j DNAT --to-destination 127.0.0.1:{d.port}"
        for b in spec.bridges
        for d in spec.dnat
    ]


def install_script(spec: GuardSpec, present_jumps: set[str]) -> dict[str, str]:
    """iptables-restore input per table: (re)declare the sandbox's chains with their rules,
    and insert each jump first in its built-in chain unless already there (pure)."""
    out: dict[str, list[str]] = {}
    for table, builtin, role in _hooks(spec):
        name = chain(spec.sandbox_id, role)
        lines = out.setdefault(table, [f"*{table}"])
        lines.append(f":{name} - [0:0]")  # declaring a chain flushes it
        lines += [f"-A {name} {r}" for r in _chain_rules(spec, role)]
        jump = _jump(spec, builtin, role)
        if jump not in present_jumps:  # first, so that no earlier ACCEPT can bypass it
            lines.append(f"-I {builtin} 1 {jump.removeprefix(builtin).lstrip()}")
    return {t: "\n".join([*lines, "COMMIT", ""]) for t, lines in out.items()}


def parse_jumps(listing: str, sandbox_id: str) -> set[str]:
    """The jump rules of ``sandbox_id`` in ``iptables -S`` output, as ``BUILTIN ...`` strings."""
    comment = f"{COMMENT_PREFIX}:{sandbox_id}"
    found = set()
    for line in listing.splitlines():
        if line.startswith("-A ") and f'"{comment}"' in line and f"-j STORK-{sandbox_id}-" in line:
            found.add(line[3:])
    return found


def remove_script(table: str, jumps: set[str], chains: set[str]) -> str:
    """iptables-restore input that deletes the given jumps, then flushes and deletes chains."""
    lines = [f"*{table}", *(f"-D {j}" for j in sorted(jumps))]
    lines += [f"-F {c}" for c in sorted(chains)] + [f"-X {c}" for c in sorted(chains)]
    return "\n".join([*lines, "COMMIT", ""])


def parse_chains(listing: str, sandbox_id: str) -> set[str]:
    """The sandbox's own chains declared in ``iptables -S`` output."""
    prefix = f"-N STORK-{sandbox_id}-"
    return {line[3:] for line in listing.splitlines() if line.startswith(prefix)}


# -- applying them -----------------------------------------------------------------------------


def _iptables(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        raise GuardError(
            f"{name} not found: the sandbox guards the host network with iptables when it runs "
            "as root; install the Debian package iptables (`make packages`)"
        )
    return path


def _run(argv: list[str], stdin: str | None = None) -> str:
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise GuardError(f"{' '.join(argv[:4])} failed: {done.stderr.strip() or done.stdout}")
    return done.stdout


def listing(table: str) -> str:
    """``iptables -S`` of one table."""
    return _run([_iptables("iptables"), "-w", "-t", table, "-S"])


def install(spec: GuardSpec) -> None:
    """Put the sandbox's rules in place, replacing any earlier ones of the same sandbox."""
    restore = _iptables("iptables-restore")
    tables = {t for t, _, _ in _HOOKS}
    present = {t: parse_jumps(listing(t), spec.sandbox_id) for t in tables}
    scripts = install_script(spec, set().union(*present.values()))
    # Chains this spec no longer has (nodes gone): removed with their jumps.
    wanted = {chain(spec.sandbox_id, role) for _, _, role in _hooks(spec)}
    for table in sorted(tables):
        stale_chains = parse_chains(listing(table), spec.sandbox_id) - wanted
        stale_jumps = {j for j in present[table] if j.split(" -j ")[-1] in stale_chains}
        if stale_chains:
            _run([restore, "-w", "--noflush"], remove_script(table, stale_jumps, stale_chains))
        if table in scripts:
            _run([restore, "-w", "--noflush"], scripts[table])


def remove(sandbox_id: str) -> None:
    """Delete every rule and chain of the sandbox (none of another sandbox's)."""
    restore = _iptables("iptables-restore")
    for table in sorted({t for t, _, _ in _HOOKS}):
        text = listing(table)
        jumps, chains = parse_jumps(text, sandbox_id), parse_chains(text, sandbox_id)
        if jumps or chains:
            _run([restore, "-w", "--noflush"], remove_script(table, jumps, chains))


def present(sandbox_id: str) -> bool:
    """True when the sandbox's OUTPUT guard is in place."""
    return any(j.startswith("OUTPUT ") for j in parse_jumps(listing("filter"), sandbox_id))
