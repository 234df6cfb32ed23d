"""A small PKI for one sandbox cluster, generated in Python (no openssl calls).

Each cluster gets its own CA, a serving certificate for kube-apiserver, an admin client
certificate in the ``system:masters`` group, the apiserver's client certificate for kubelets
(``kube-apiserver-kubelet-client``, allowed by RBAC, not a master) and a service-account signing
key, like a real cluster has, so that a migration really handles two different credential sets.
``issue`` signs more with the cluster's CA (the nodes' kubelet and scheduler identities).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = dt.timedelta(days=3650)
#: The user name of the apiserver's client certificate for kubelets.
KUBELET_CLIENT_USER = "kube-apiserver-kubelet-client"


@dataclass(frozen=True)
class PkiPaths:
    """Where the files of one cluster's PKI live."""

    root: Path

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.root / "ca.key"

    @property
    def serving_cert(self) -> Path:
        return self.root / "apiserver.crt"

    @property
    def serving_key(self) -> Path:
        return self.root / "apiserver.key"

    @property
    def admin_cert(self) -> Path:
        return self.root / "admin.crt"

    @property
    def admin_key(self) -> Path:
        return self.root / "admin.key"

    @property
    def kubelet_client_cert(self) -> Path:
        """The apiserver's client certificate for kubelets (``--kubelet-client-certificate``)."""
        return self.root / "apiserver-kubelet-client.crt"

    @property
    def kubelet_client_key(self) -> Path:
        return self.root / "apiserver-kubelet-client.key"

    @property
    def sa_key(self) -> Path:
        return self.root / "sa.key"

    @property
    def sa_pub(self) -> Path:
        return self.root / "sa.pub"

    def complete(self) -> bool:
        """True when every file exists (a PKI from an earlier run can be reused)."""
        files = [self.ca_cert, self.ca_key, self.serving_cert, self.serving_key]
        files += [self.admin_cert, self.admin_key, self.sa_key, self.sa_pub]
        files += [self.kubelet_client_cert, self.kubelet_client_key]
        return all(f.is_file() for f in files)


def _key_usage(authority: bool) -> x509.KeyUsage:
    """Signing for every certificate; certificate and CRL signing for the CA only."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=authority,
        crl_sign=authority,
        encipher_only=False,
        decipher_only=False,
    )


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attrs = []
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def _write(path: Path, data: bytes, private: bool = False) -> None:
    path.write_bytes(data)
    if private:
        path.chmod(0o600)


def _issue(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    usage: x509.ObjectIdentifier,
    sans: list[x509.GeneralName] | None = None,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(authority=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def generate_pki(paths: PkiPaths, cluster_name: str, service_ip: str) -> None:
    """Write a CA, the apiserver serving pair, an admin client pair and SA keys.

    The serving certificate is valid for 127.0.0.1, localhost and the in-cluster names of
    the ``kubernetes`` Service (``service_ip`` is the first address of the service CIDR).
    """
    paths.root.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = _key()
    ca_name = _name(f"stork-sandbox-{cluster_name}-ca")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(authority=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(paths.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM))
    _write(paths.ca_key, _key_pem(ca_key), private=True)

    serving_key = _key()
    sans: list[x509.GeneralName] = [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address(service_ip)),
        x509.DNSName("localhost"),
        x509.DNSName("kubernetes"),
        x509.DNSName("kubernetes.default"),
        x509.DNSName("kubernetes.default.svc"),
        x509.DNSName("kubernetes.default.svc.cluster.local"),
    ]
    serving = _issue(
        ca_cert, ca_key, _name("kube-apiserver"), serving_key, ExtendedKeyUsageOID.SERVER_AUTH, sans
    )
    _write(paths.serving_cert, serving.public_bytes(serialization.Encoding.PEM))
    _write(paths.serving_key, _key_pem(serving_key), private=True)

    admin_key = _key()
    admin = _issue(
        ca_cert,
        ca_key,
        _name("stork-sandbox-admin", "system:masters"),
        admin_key,
        ExtendedKeyUsageOID.CLIENT_AUTH,
    )
    _write(paths.admin_cert, admin.public_bytes(serialization.Encoding.PEM))
    _write(paths.admin_key, _key_pem(admin_key), private=True)

    kubelet_key = _key()
    kubelet = _issue(
        ca_cert, ca_key, _name(KUBELET_CLIENT_USER), kubelet_key, ExtendedKeyUsageOID.CLIENT_AUTH
    )
    _write(paths.kubelet_client_cert, kubelet.public_bytes(serialization.Encoding.PEM))
    _write(paths.kubelet_client_key, _key_pem(kubelet_key), private=True)

    sa_key = _key()
    _write(paths.sa_key, _key_pem(sa_key), private=True)
    _write(
        paths.sa_pub,
        sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )


def issue(
    paths: PkiPaths,
    cert: Path,
    key: Path,
    common_name: str,
    organization: str | None = None,
    server_ips: tuple[str, ...] = (),
) -> None:
    """Sign a new key pair with the cluster's CA: a client certificate, or with ``server_ips``
    a serving certificate for those addresses."""
    ca_cert = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(paths.ca_key.read_bytes(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{paths.ca_key} is not an EC key")
    new_key = _key()
    if server_ips:
        sans: list[x509.GeneralName] = [
            x509.IPAddress(ipaddress.ip_address(ip)) for ip in server_ips
        ]
        usage = ExtendedKeyUsageOID.SERVER_AUTH
    else:
        sans, usage = [], ExtendedKeyUsageOID.CLIENT_AUTH
    signed = _issue(ca_cert, ca_key, _name(common_name, organization), new_key, usage, sans)
    cert.parent.mkdir(parents=True, exist_ok=True)
    _write(cert, signed.public_bytes(serialization.Encoding.PEM))
    _write(key, _key_pem(new_key), private=True)
