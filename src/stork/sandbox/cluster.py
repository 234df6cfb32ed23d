"""One sandbox cluster: etcd, kube-apiserver and kube-controller-manager on loopback ports,
and with ``--nodes`` a real node (``nodes.SandboxNode``)."""

from __future__ import annotations

import socket
import ssl
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from stork.sandbox.errors import SandboxError
from stork.sandbox.kubeconfig import ClusterCredentials, write_kubeconfig
from stork.sandbox.nodes import NODE_COMPONENTS, SandboxNode, ensure_rbac
from stork.sandbox.pki import PkiPaths, generate_pki
from stork.sandbox.processes import ProcessRecord, is_running, spawn, terminate

READY_TIMEOUT = 120.0
_PORT_RETRIES = 5
_PORT_IN_USE = ("address already in use", "bind: address already in use")
CONTROL_PLANE = ("etcd", "kube-apiserver", "kube-controller-manager")
#: The order in which a cluster's processes are stopped.
_STOP_ORDER: tuple[str, ...] = ("kube-scheduler", "kubelet", "containerd")
_STOP_ORDER += ("kube-controller-manager", "kube-apiserver", "etcd")


@dataclass(frozen=True)
class ClusterSpec:
    """The fixed facts of one cluster: its name and service network."""

    name: str
    service_cidr: str
    service_ip: str


@dataclass
class Ports:
    """Loopback ports of one cluster, chosen free at first start and then kept."""

    etcd: int
    etcd_peer: int
    apiserver: int
    controller_manager: int

    def to_json(self) -> dict[str, int]:
        """As stored in state.json."""
        return {
            "etcd": self.etcd,
            "etcdPeer": self.etcd_peer,
            "apiserver": self.apiserver,
            "controllerManager": self.controller_manager,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Ports:
        """Read what to_json wrote."""
        return cls(
            int(data["etcd"]),
            int(data["etcdPeer"]),
            int(data["apiserver"]),
            int(data["controllerManager"]),
        )


def free_port() -> int:
    """A loopback TCP port that is free right now (it may be taken before we bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _log_tail(path: Path, offset: int = 0, lines: int = 15) -> str:
    """The last lines written to a log after byte ``offset``."""
    try:
        with path.open("rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class SandboxCluster:
    """Processes and files of one cluster below ``root``, logs in ``logs``."""

    spec: ClusterSpec
    root: Path
    logs: Path
    binaries: Path
    ports: Ports | None = None
    processes: list[ProcessRecord] = field(default_factory=list)
    on_change: Callable[[], None] = field(default=lambda: None, repr=False)
    node: SandboxNode | None = None

    @property
    def pki(self) -> PkiPaths:
        """The cluster's certificates and keys."""
        return PkiPaths(self.root / "pki")

    @property
    def url(self) -> str:
        """The apiserver URL (loopback only)."""
        assert self.ports is not None
        return f"https://127.0.0.1:{self.ports.apiserver}"

    @property
    def admin_kubeconfig(self) -> Path:
        """The kubeconfig the controller-manager uses (same admin identity as users get)."""
        return self.root / "admin.kubeconfig"

    def credentials(self) -> ClusterCredentials:
        """Admin credentials of this cluster."""
        p = self.pki
        return ClusterCredentials(
            self.spec.name,
            self.url,
            p.ca_cert.read_bytes(),
            p.admin_cert.read_bytes(),
            p.admin_key.read_bytes(),
        )

    # -- state -------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The cluster's part of state.json."""
        assert self.ports is not None
        return {
            "url": self.url,
            "serviceCIDR": self.spec.service_cidr,
            "ports": self.ports.to_json(),
            "processes": [p.to_json() for p in self.processes],
        }

    def load(self, data: dict[str, Any]) -> None:
        """Restore ports and processes recorded by to_json."""
        self.ports = Ports.from_json(data["ports"])
        self.processes = [ProcessRecord.from_json(p) for p in data.get("processes", [])]

    @property
    def components(self) -> tuple[str, ...]:
        """The processes this cluster runs: the control plane, and its node's."""
        return CONTROL_PLANE + (NODE_COMPONENTS if self.node else ())

    def _not_running(self) -> list[str]:
        alive = {p.component for p in self.processes if is_running(p)}
        return [c for c in self.components if c not in alive]

    def running(self) -> bool:
        """True when every recorded process is alive and ours."""
        return not self._not_running()

    # -- health ------------------------------------------------------------------------------

    def admin_client(self, timeout: float = 10.0) -> httpx2.Client:
        """An httpx client of the cluster's apiserver, as its admin (the caller closes it)."""
        return self._client(timeout)

    def _client(self, timeout: float = 5.0) -> httpx2.Client:
        p = self.pki
        ctx = ssl.create_default_context(cafile=str(p.ca_cert))
        ctx.load_cert_chain(str(p.admin_cert), str(p.admin_key))
        return httpx2.Client(base_url=self.url, verify=ctx, timeout=timeout)

    def health(self) -> str:
        """``Ready``, or a short reason why not."""
        if down := self._not_running():
            return f"Stopped ({', '.join(sorted(down))} not running)"
        try:
            with self._client(timeout=3.0) as c:
                r = c.get("/readyz")
                if r.status_code != 200:
                    return f"NotReady (/readyz answered {r.status_code})"
                if self.node and not self.node.ready(c):
                    return f"NotReady (node {self.node.name} not Ready)"
        except httpx2.HTTPError as e:
            return f"NotReady ({type(e).__name__})"
        return "Ready"

    # -- start -------------------------------------------------------------------------------

    def _etcd_argv(self, ports: Ports) -> list[str]:
        client = f"http://127.0.0.1:{ports.etcd}"
        peer = f"http://127.0.0.1:{ports.etcd_peer}"
        return [
            str(self.binaries / "etcd"),
            f"--name={self.spec.name}",
            f"--data-dir={self.root / 'etcd'}",
            f"--listen-client-urls={client}",
            f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster={self.spec.name}={peer}",
            "--unsafe-no-fsync=true",
            "--log-level=warn",
        ]

    def _apiserver_argv(self, ports: Ports) -> list[str]:
        p = self.pki
        return [
            str(self.binaries / "kube-apiserver"),
            f"--etcd-servers=http://127.0.0.1:{ports.etcd}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={ports.apiserver}",
            f"--cert-dir={p.root}",
            f"--tls-cert-file={p.serving_cert}",
            f"--tls-private-key-file={p.serving_key}",
            f"--client-ca-file={p.ca_cert}",
            f"--service-account-issuer=https://127.0.0.1:{ports.apiserver}",
            f"--service-account-key-file={p.sa_pub}",
            f"--service-account-signing-key-file={p.sa_key}",
            f"--service-cluster-ip-range={self.spec.service_cidr}",
            # kubelets: the Node authorizer and NodeRestriction for their own requests; the
            # apiserver calls them with a certificate of its own and checks theirs
            "--authorization-mode=Node,RBAC",
            "--enable-admission-plugins=NodeRestriction",
            f"--kubelet-client-certificate={p.kubelet_client_cert}",
            f"--kubelet-client-key={p.kubelet_client_key}",
            f"--kubelet-certificate-authority={p.ca_cert}",
            "--allow-privileged=true",
            # A loopback advertise address is not a valid Endpoints IP; do not reconcile it.
            "--endpoint-reconciler-type=none",
            "--profiling=false",
            "--v=1",
        ]

    def _controller_manager_argv(self, ports: Ports) -> list[str]:
        p = self.pki
        kc = str(self.admin_kubeconfig)
        return [
            str(self.binaries / "kube-controller-manager"),
            f"--kubeconfig={kc}",
            f"--authentication-kubeconfig={kc}",
            f"--authorization-kubeconfig={kc}",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            f"--secure-port={ports.controller_manager}",
            f"--cert-dir={self.root / 'kcm'}",
            f"--service-account-private-key-file={p.sa_key}",
            f"--root-ca-file={p.ca_cert}",
            f"--cluster-signing-cert-file={p.ca_cert}",
            f"--cluster-signing-key-file={p.ca_key}",
            f"--service-cluster-ip-range={self.spec.service_cidr}",
            # The default 20 QPS makes thousands of new Deployments take minutes to settle.
            "--kube-api-qps=300",
            "--kube-api-burst=600",
            "--v=1",
        ]

    def _etcd_ready(self) -> bool:
        assert self.ports is not None
        with httpx2.Client(timeout=2.0) as c:
            return c.get(f"http://127.0.0.1:{self.ports.etcd}/health").status_code == 200

    def _get_ok(self, path: str) -> bool:
        with self._client(timeout=3.0) as c:
            return c.get(path).status_code == 200

    def _wait(
        self,
        proc: subprocess.Popen[bytes],
        record: ProcessRecord,
        ready: Callable[[], bool],
        what: str,
        log_offset: int,
        timeout: float = READY_TIMEOUT,
    ) -> bool:
        """Wait until ``ready``; False if the process died of a port clash (caller retries)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = _log_tail(Path(record.log), log_offset)
                if any(s in tail for s in _PORT_IN_USE):
                    return False
                raise SandboxError(
                    f"{self.spec.name}: {record.component} exited with code {proc.returncode} "
                    f"before {what}; last lines of {record.log}:\n{tail}"
                )
            try:
                if ready():
                    return True
            except (httpx2.HTTPError, OSError):
                pass
            time.sleep(0.1)
        raise SandboxError(
            f"{self.spec.name}: {what} did not happen within {timeout:.0f}s; "
            f"last lines of {record.log}:\n{_log_tail(Path(record.log), log_offset)}"
        )

    def _start_component(
        self,
        component: str,
        argv_for: Callable[[Ports], list[str]],
        ready: Callable[[], bool],
        what: str,
        reassign: Callable[[Ports], None] | None,
        env: dict[str, str] | None = None,
    ) -> ProcessRecord:
        """Start one process; on a port clash choose new ports (if allowed) and try again."""
        assert self.ports is not None
        log = self.logs / f"{self.spec.name}-{component}.log"
        for _ in range(_PORT_RETRIES):
            offset = log.stat().st_size if log.exists() else 0
            proc, record = spawn(component, argv_for(self.ports), log, env)
            self.processes = [p for p in self.processes if p.component != component]
            self.processes.append(record)
            self.on_change()
            if self._wait(proc, record, ready, what, offset):
                return record
            if reassign is None:
                raise SandboxError(
                    f"{self.spec.name}: a port of {component} is taken by another program; "
                    f"ports are kept across stop/start (see {log})"
                )
            reassign(self.ports)
        raise SandboxError(
            f"{self.spec.name}: {component} found no free port in {_PORT_RETRIES} tries"
        )

    def _start_node_component(
        self,
        component: str,
        argv: list[str],
        ready: Callable[[], bool],
        what: str,
        env: dict[str, str],
    ) -> ProcessRecord:
        # A node's ports are fixed on its own address: a clash is an error, never retried.
        return self._start_component(component, lambda _: argv, ready, what, None, env)

    def start(self, keep_ports: bool = False) -> None:
        """Start etcd, then kube-apiserver, then kube-controller-manager, and wait until ready;
        then the node, if any, until it is Ready.

        Ready means: /readyz answers 200, the ``default`` namespace exists and its ``default``
        ServiceAccount exists. With ``keep_ports`` (a restart), ports are never changed.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        if not self.pki.complete():
            generate_pki(self.pki, self.spec.name, self.spec.service_ip)
        if self.ports is None:
            self.ports = Ports(free_port(), free_port(), free_port(), free_port())
        write_kubeconfig(self.admin_kubeconfig, [self.credentials()], self.spec.name)

        def new_etcd_ports(p: Ports) -> None:
            p.etcd, p.etcd_peer = free_port(), free_port()

        def new_apiserver_port(p: Ports) -> None:
            p.apiserver = free_port()
            write_kubeconfig(self.admin_kubeconfig, [self.credentials()], self.spec.name)

        def new_kcm_port(p: Ports) -> None:
            p.controller_manager = free_port()

        self._start_component(
            "etcd",
            self._etcd_argv,
            self._etcd_ready,
            "etcd answered /health",
            None if keep_ports else new_etcd_ports,
        )
        self._start_component(
            "kube-apiserver",
            self._apiserver_argv,
            lambda: self._get_ok("/readyz") and self._get_ok("/api/v1/namespaces/default"),
            "kube-apiserver answered /readyz",
            None if keep_ports else new_apiserver_port,
        )
        self._start_component(
            "kube-controller-manager",
            self._controller_manager_argv,
            lambda: self._get_ok("/api/v1/namespaces/default/serviceaccounts/default"),
            "the default ServiceAccount appeared",
            None if keep_ports else new_kcm_port,
        )
        if self.node is not None:
            with self._client() as c:
                ensure_rbac(c)
            self.node.start(self.url, self._start_node_component)
            with self._client() as c:
                self.node.wait_ready(c, lambda: not self._not_running())

    def stop(self) -> None:
        """Stop the node's processes, then the controller-manager, the apiserver and etcd
        (data is kept; the node's containers keep running in their shims)."""
        order = {c: i for i, c in enumerate(_STOP_ORDER)}
        terminate(sorted(self.processes, key=lambda p: order.get(p.component, 9)))
