import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from stork.sandbox.pki import PkiPaths, generate_pki


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_pki_chain_and_identities(tmp_path: Path) -> None:
    paths = PkiPaths(tmp_path / "pki")
    assert not paths.complete()
    generate_pki(paths, "source", "10.96.0.1")
    assert paths.complete()
    ca, serving, admin = _cert(paths.ca_cert), _cert(paths.serving_cert), _cert(paths.admin_cert)

    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    for leaf in (serving, admin):
        assert leaf.issuer == ca.subject
        leaf.verify_directly_issued_by(ca)

    sans = serving.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in sans.get_values_for_type(x509.IPAddress)
    assert ipaddress.ip_address("10.96.0.1") in sans.get_values_for_type(x509.IPAddress)
    assert "kubernetes.default.svc" in sans.get_values_for_type(x509.DNSName)
    usage = serving.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]

    orgs = [a.value for a in admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    assert orgs == ["system:masters"]
    usage = admin.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]


def test_private_keys_are_owner_only(tmp_path: Path) -> None:
    paths = PkiPaths(tmp_path)
    generate_pki(paths, "destination", "10.100.0.1")
    for key in (paths.ca_key, paths.serving_key, paths.admin_key, paths.sa_key):
        assert key.stat().st_mode & 0o777 == 0o600


def test_each_cluster_gets_its_own_ca(tmp_path: Path) -> None:
    a, b = PkiPaths(tmp_path / "a"), PkiPaths(tmp_path / "b")
    generate_pki(a, "source", "10.96.0.1")
    generate_pki(b, "destination", "10.100.0.1")
    assert _cert(a.ca_cert).public_key() != _cert(b.ca_cert).public_key()
    sa_pub = _cert(a.admin_cert).public_key()
    assert isinstance(sa_pub, ec.EllipticCurvePublicKey)
