"""One real node per sandbox cluster (``stork sandbox up --nodes``): containerd, kubelet and
kube-scheduler, with a CNI bridge of its own, so that pods really run.

Where things are (all named after the sandbox's id and slot, see ``slots``, so that several
sandboxes with nodes never clash):

* the node's files in ``<cluster dir>/node/``: containerd's root (images, snapshots), configs,
  certificates, pod logs, the CNI IPAM state;
* its runtime state in ``/run/stork-sandbox/<id>/<cluster>/``: containerd's socket and state,
  the pods' netns files, runc's state, the kubelet's root (pod volumes, its sockets): short
  paths, below the length limit of a socket's path (the sandbox's directory may be deep);
* its cgroup root ``/stork-<id>-<cluster>`` in every hierarchy;
* its bridge ``stork<slot>-src|dst`` holding the pods' gateway address, and the sandbox's
  iptables chains (``netguard``).

The kubelet is named by its loopback address (it refuses a loopback ``--node-ip``, but an IP
given as ``--hostname-override`` becomes the Node's InternalIP), authenticates to the apiserver
as ``system:node:<ip>`` (Node authorizer, NodeRestriction) and serves its API only to clients the
apiserver vouches for (webhook authentication and authorization; the apiserver calls it with
its own kubelet-client certificate). ``stop`` ends the node's processes and leaves its
containers running in their shims, as on a real node whose runtime restarts; ``start`` brings it
back Ready with its pods. ``teardown`` (module) removes all of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx2
import yaml

from stork.sandbox import cgroups, images
from stork.sandbox.binaries import MissingBinariesError, node_binary_dir
from stork.sandbox.errors import SandboxError
from stork.sandbox.kubeconfig import ClusterCredentials, write_kubeconfig
from stork.sandbox.pki import KUBELET_CLIENT_USER, PkiPaths, issue
from stork.sandbox.processes import ProcessRecord
from stork.sandbox.slots import RUN_ROOT, NodeNetwork

NODE_COMPONENTS = ("containerd", "kubelet", "kube-scheduler")
KUBELET_PORT = 10250
KUBELET_HEALTHZ_PORT = 10248
SCHEDULER_PORT = 10259
NODE_READY_TIMEOUT = 120.0
CNI_BIN = Path("/usr/lib/cni")
RUNC = Path("/usr/sbin/runc")
#: What the node's processes find on PATH. No /usr/sbin: the kubelet then finds no iptables
#: and leaves the host's tables alone (its canary chains would outlive the sandbox).
NODE_PATH = "/usr/bin:/bin"
#: Any image pull goes to a proxy on a loopback port where nothing listens: it fails at once
#: and nothing ever leaves the machine (images are loaded, never pulled).
NO_PULL_PROXY = "http://127.0.0.1:9"

#: (what, how to check, Debian package)
_PREREQUISITES: tuple[tuple[str, Callable[[], bool], str], ...] = (
    ("containerd", lambda: shutil.which("containerd", path=NODE_PATH) is not None, "containerd"),
    ("ctr", lambda: shutil.which("ctr", path=NODE_PATH) is not None, "containerd"),
    ("runc", lambda: os.access(RUNC, os.X_OK), "runc"),
    ("CNI bridge", lambda: os.access(CNI_BIN / "bridge", os.X_OK), "containernetworking-plugins"),
    (
        "iptables",
        lambda: shutil.which("iptables-restore", path="/usr/sbin:/sbin") is not None,
        "iptables",
    ),
    (
        "static busybox",
        lambda: images.BUSYBOX.is_file() and images.is_static_elf(images.BUSYBOX),
        "busybox-static",
    ),
    ("gcc", lambda: shutil.which("gcc") is not None, "gcc"),
)


class NodeError(SandboxError):
    """A node could not be made, started or removed."""


def missing_prerequisites() -> str | None:
    """One line saying why nodes cannot run here (not root, packages missing), or None."""
    if os.geteuid() != 0:
        return (
            "--nodes needs root (a node makes cgroups, bridges, network namespaces, mounts "
            "and iptables rules); the sandbox without nodes needs none of that"
        )
    missing = [(what, package) for what, ok, package in _PREREQUISITES if not ok()]
    if missing:
        packages = sorted({p for _, p in missing})
        return (
            f"--nodes needs {', '.join(w for w, _ in missing)}: install the Debian packages "
            f"{' '.join(packages)} (`make packages`)"
        )
    return None


def unavailable() -> str | None:
    """Why nodes cannot run here (not root, packages or kubelet missing), or None."""
    why = missing_prerequisites()
    if why is None:
        try:
            node_binary_dir()
        except MissingBinariesError as e:
            why = str(e)
    return why


def cgroup_name(sandbox_id: str, cluster: str) -> str:
    """The kubelet's cgroup root (without the leading slash)."""
    return f"stork-{sandbox_id}-{cluster}"


def run_dir(sandbox_id: str, cluster: str) -> Path:
    """The node's runtime state directory (socket, containerd state, netns files)."""
    return RUN_ROOT / sandbox_id / cluster


#: Starts one process of a cluster and waits for ``ready``: (component, argv, ready, what, env).
Starter = Callable[[str, list[str], Callable[[], bool], str, dict[str, str]], ProcessRecord]


@dataclass
class SandboxNode:
    """The node of one sandbox cluster."""

    cluster: str
    sandbox_id: str
    net: NodeNetwork
    #: ``<cluster dir>/node``
    root: Path
    #: the directory of kubelet and kube-scheduler
    binaries: Path
    #: the cluster's PKI (its CA signs the node's certificates)
    pki: PkiPaths
    #: the Service IPs of the ``kubernetes`` Services pods may reach (both clusters')
    service_ips: tuple[str, ...]

    # -- paths -------------------------------------------------------------------------------

    @property
    def run(self) -> Path:
        """Runtime state: containerd's socket and state, runc's state, the netns files."""
        return run_dir(self.sandbox_id, self.cluster)

    @property
    def socket(self) -> Path:
        """containerd's socket (the kubelet's CRI endpoint)."""
        return self.run / "containerd.sock"

    @property
    def cgroup(self) -> str:
        """The kubelet's cgroup root."""
        return cgroup_name(self.sandbox_id, self.cluster)

    @property
    def network_name(self) -> str:
        """The CNI network's name (its cache entries start with it)."""
        return f"stork-{self.sandbox_id}-{self.cluster}"

    @property
    def name(self) -> str:
        """The Node's name: its address."""
        return self.net.node_ip

    def _p(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    # -- files -------------------------------------------------------------------------------

    def _certificates(self) -> None:
        """The kubelet's client and serving pairs and the scheduler's client pair (new with a
        new cluster CA: they live in the cluster's directory, removed with its PKI)."""
        d = self._p("pki")
        if not (d / "kubelet-client.crt").is_file():
            issue(
                self.pki,
                d / "kubelet-client.crt",
                d / "kubelet-client.key",
                f"system:node:{self.name}",
                "system:nodes",
            )
        if not (d / "kubelet-serving.crt").is_file():
            issue(
                self.pki,
                d / "kubelet-serving.crt",
                d / "kubelet-serving.key",
                self.name,
                server_ips=(self.name,),
            )
        if not (d / "scheduler.crt").is_file():
            issue(self.pki, d / "scheduler.crt", d / "scheduler.key", "system:kube-scheduler")

    def _kubeconfig(self, path: Path, url: str, cert: str) -> None:
        d = self._p("pki")
        write_kubeconfig(
            path,
            [
                ClusterCredentials(
                    self.cluster,
                    url,
                    self.pki.ca_cert.read_bytes(),
                    (d / f"{cert}.crt").read_bytes(),
                    (d / f"{cert}.key").read_bytes(),
                )
            ],
            self.cluster,
        )

    def containerd_config(self) -> str:
        """containerd's config.toml: everything below the node's directories."""
        root, run = self._p("containerd"), self.run
        cri = '[plugins."io.containerd.grpc.v1.cri"'
        return f"""version = 2
root = "{root}"
state = "{run}/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "{self.socket}"
[ttrpc]
  address = "{self.socket}.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "{root}-opt"
{cri}]
  sandbox_image = "{images.PAUSE_IMAGE}"
  stream_server_address = "{self.net.node_ip}"
  stream_server_port = "0"
  disable_apparmor = true
  enable_selinux = false
  # without CAP_SYS_RESOURCE runc cannot give the pause process oom_score_adj -998
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  {cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    {cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      {cri}.containerd.runtimes.runc.options]
        BinaryName = "{RUNC}"
        Root = "{run}/runc"
        SystemdCgroup = false
  {cri}.cni]
    bin_dir = "{CNI_BIN}"
    conf_dir = "{self._p("cni", "net.d")}"
    max_conf_num = 1
  {cri}.registry]
    config_path = "{self._p("certs.d")}"
"""

    def cni_config(self) -> dict[str, object]:
        """The pod network: a bridge, host-local addresses, routes to the pod /24 and to the
        ``kubernetes`` Service IPs only (no default route, no masquerade, no forwarding: the
        bridge plugin's isGateway would turn on ip_forward, so the gateway address is put on
        the bridge by ``_bridge_up`` instead)."""
        return {
            "cniVersion": "1.0.0",
            "name": self.network_name,
            "plugins": [
                {
                    "type": "bridge",
                    "bridge": self.net.bridge,
                    "isGateway": False,
                    "ipMasq": False,
                    "ipam": {
                        "type": "host-local",
                        "dataDir": str(self._p("cni", "ipam")),
                        "ranges": [[{"subnet": self.net.pod_cidr, "gateway": self.net.gateway}]],
                        "routes": [{"dst": f"{ip}/32"} for ip in self.service_ips],
                    },
                }
            ],
        }

    def kubelet_config(self) -> dict[str, object]:
        """The KubeletConfiguration (webhook authentication and authorization, no anonymous)."""
        d = self._p("pki")
        return {
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            "address": self.net.node_ip,
            "port": KUBELET_PORT,
            "readOnlyPort": 0,
            "healthzBindAddress": self.net.node_ip,
            "healthzPort": KUBELET_HEALTHZ_PORT,
            "tlsCertFile": str(d / "kubelet-serving.crt"),
            "tlsPrivateKeyFile": str(d / "kubelet-serving.key"),
            "authentication": {
                "anonymous": {"enabled": False},
                "webhook": {"enabled": True},
                "x509": {"clientCAFile": str(self.pki.ca_cert)},
            },
            "authorization": {"mode": "Webhook"},
            "containerRuntimeEndpoint": f"unix://{self.socket}",
            "imageServiceEndpoint": f"unix://{self.socket}",
            "cgroupDriver": "cgroupfs",
            "failCgroupV1": False,
            "cgroupRoot": f"/{self.cgroup}",
            "cgroupsPerQOS": True,
            "enforceNodeAllocatable": ["pods"],
            "failSwapOn": False,
            "podLogsDir": str(self._p("pod-logs")),
            "resolvConf": "",
            "clusterDomain": "cluster.local",
            "serializeImagePulls": False,
            "evictionHard": {
                "memory.available": "100Mi",
                "nodefs.available": "1%",
                "imagefs.available": "1%",
                "nodefs.inodesFree": "1%",
            },
            "imageGCHighThresholdPercent": 100,
            "imageGCLowThresholdPercent": 99,
            "maxPods": 50,
            "registerNode": True,
        }

    def write_files(self, url: str) -> None:
        """Certificates, kubeconfigs and configs of containerd, the CNI and the kubelet."""
        for d in ("pki", "cni/net.d", "cni/ipam", "certs.d", "pod-logs", "scheduler"):
            self._p(*d.split("/")).mkdir(parents=True, exist_ok=True)
        self.run.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._certificates()
        self._kubeconfig(self._p("kubelet.kubeconfig"), url, "kubelet-client")
        self._kubeconfig(self._p("scheduler.kubeconfig"), url, "scheduler")
        self._p("containerd.toml").write_text(self.containerd_config())
        self._p("cni", "net.d", "10-stork.conflist").write_text(json.dumps(self.cni_config()))
        self._p("kubelet.yaml").write_text(yaml.safe_dump(self.kubelet_config()))

    # -- host network ------------------------------------------------------------------------

    def bridge_up(self) -> None:
        """The pods' bridge, holding their gateway address (the kubelet's probes and the
        apiserver DNAT go through it), with ``route_localnet`` for that DNAT."""
        b = self.net.bridge
        if not Path(f"/sys/class/net/{b}").exists():
            _ip("link", "add", b, "type", "bridge")
        prefix = self.net.pod_cidr.split("/")[1]
        addrs = _ip("-o", "-4", "addr", "show", "dev", b)
        if f" {self.net.gateway}/{prefix} " not in addrs:
            _ip("addr", "add", f"{self.net.gateway}/{prefix}", "dev", b)
        _ip("link", "set", b, "up")
        Path(f"/proc/sys/net/ipv4/conf/{b}/route_localnet").write_text("1")

    def bridge_down(self) -> None:
        """Delete the bridge (the pods' veths went with their network namespaces)."""
        if Path(f"/sys/class/net/{self.net.bridge}").exists():
            _ip("link", "del", self.net.bridge)

    # -- processes ---------------------------------------------------------------------------

    def _env(self, proxy: bool = False) -> dict[str, str]:
        env = {"PATH": NODE_PATH, "HOME": str(self.root), "LANG": "C"}
        if proxy:
            for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
                env[key] = NO_PULL_PROXY
        return env

    def containerd_argv(self) -> list[str]:
        """containerd with the node's config."""
        exe = shutil.which("containerd", path=NODE_PATH) or "containerd"
        return [exe, "--config", str(self._p("containerd.toml"))]

    def kubelet_argv(self) -> list[str]:
        """The kubelet, named by its address."""
        return [
            str(self.binaries / "kubelet"),
            f"--config={self._p('kubelet.yaml')}",
            f"--kubeconfig={self._p('kubelet.kubeconfig')}",
            f"--root-dir={self.run / 'kubelet'}",
            f"--cert-dir={self._p('pki', 'kubelet')}",
            f"--hostname-override={self.name}",
            "--v=1",
        ]

    def scheduler_argv(self) -> list[str]:
        """kube-scheduler as ``system:kube-scheduler`` (RBAC's bootstrap role for it)."""
        kc = str(self._p("scheduler.kubeconfig"))
        return [
            str(self.binaries / "kube-scheduler"),
            f"--kubeconfig={kc}",
            f"--authentication-kubeconfig={kc}",
            f"--authorization-kubeconfig={kc}",
            "--leader-elect=false",
            f"--bind-address={self.net.node_ip}",
            f"--secure-port={SCHEDULER_PORT}",
            f"--cert-dir={self._p('scheduler')}",
            "--v=1",
        ]

    def ctr(self, *args: str, timeout: float = 300.0) -> str:
        """Run ``ctr`` against the node's containerd (namespace k8s.io)."""
        exe = shutil.which("ctr", path=NODE_PATH) or "ctr"
        done = subprocess.run(
            [exe, "--address", str(self.socket), "--namespace", "k8s.io", *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            env=self._env(),
        )
        if done.returncode != 0:
            raise NodeError(f"{self.cluster}: ctr {' '.join(args[:2])} failed: {done.stderr}")
        return done.stdout

    def containerd_ready(self) -> bool:
        """True when containerd answers on its socket."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(1.0)
            try:
                s.connect(str(self.socket))
            except OSError:
                return False
        return True

    def _tcp_ready(self, port: int) -> bool:
        with socket.socket() as s:
            s.settimeout(1.0)
            return s.connect_ex((self.net.node_ip, port)) == 0

    def images(self) -> set[str]:
        """The names of the images in the node's containerd."""
        return set(self.ctr("images", "ls", "-q").split())

    def load_image(self, archive: Path) -> str:
        """Import an OCI archive into the node's containerd; returns the image's name."""
        name = images.archive_image_name(archive)
        self.ctr("images", "import", str(archive))
        return name

    def start(self, url: str, starter: Starter) -> None:
        """Make the node's host resources and files, then start containerd (loading the
        images it lacks), the kubelet and kube-scheduler. Waiting for the Node to be Ready is
        ``wait_ready``'s."""
        cgroups.create(self.cgroup)
        self.bridge_up()
        self.write_files(url)
        starter(
            "containerd",
            self.containerd_argv(),
            self.containerd_ready,
            "containerd answered on its socket",
            self._env(proxy=True),
        )
        have = self.images()
        for archive in images.node_archives():
            if images.archive_image_name(archive) not in have:
                self.load_image(archive)
        starter(
            "kubelet",
            self.kubelet_argv(),
            lambda: self._tcp_ready(KUBELET_HEALTHZ_PORT),
            "the kubelet's healthz port opened",
            self._env(),
        )
        starter(
            "kube-scheduler",
            self.scheduler_argv(),
            lambda: self._tcp_ready(SCHEDULER_PORT),
            "kube-scheduler's port opened",
            self._env(),
        )

    # -- the API's view ----------------------------------------------------------------------

    def ready(self, client: httpx2.Client) -> bool:
        """True when the Node exists and its Ready condition is True."""
        r = client.get(f"/api/v1/nodes/{self.name}")
        if r.status_code != 200:
            return False
        conditions = (r.json().get("status") or {}).get("conditions") or []
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)

    def wait_ready(
        self, client: httpx2.Client, alive: Callable[[], bool], timeout: float = NODE_READY_TIMEOUT
    ) -> None:
        """Wait until the Node is Ready; fail at once when a node process died."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(httpx2.HTTPError):
                if self.ready(client):
                    return
            if not alive():
                raise NodeError(
                    f"{self.cluster}: a process of node {self.name} exited before it was Ready; "
                    f"see the logs of kubelet and containerd"
                )
            if time.monotonic() > deadline:
                raise NodeError(f"{self.cluster}: node {self.name} not Ready within {timeout:.0f}s")
            time.sleep(0.2)


def ensure_rbac(client: httpx2.Client) -> None:
    """Let the apiserver's kubelet-client identity use the kubelets' API (exec, logs, ...).

    The Node authorizer covers the kubelets themselves; this binds the bootstrap ClusterRole
    ``system:kubelet-api-admin`` to the apiserver's own identity, as kubeadm does.
    """
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "stork-sandbox:kube-apiserver-kubelet-client"},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "system:kubelet-api-admin",
        },
        "subjects": [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": KUBELET_CLIENT_USER}
        ],
    }
    r = client.post("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", json=binding)
    if r.status_code not in (201, 409):
        raise NodeError(f"cannot bind system:kubelet-api-admin: {r.status_code} {r.text[:200]}")


def _ip(*args: str) -> str:
    exe = shutil.which("ip", path="/usr/sbin:/sbin:/usr/bin:/bin") or "ip"
    done = subprocess.run([exe, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise NodeError(f"ip {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout
