"""Throw-away etcd client material for the example inventory (inventory/examples/etcd).

The repository holds no private key. This writes ``ca.pem``, ``calico-client.pem`` and
``calico-client-key.pem`` (mode 0600) into ``inventory/examples/files/etcd/`` when they are
missing: a P-256 CA whose key is discarded at once, and a client certificate it signed. The
files are ignored by git and left out of the collection tarball (galaxy.yml). The tests create
them before they run (tests/conftest.py); by hand: ``.venv/bin/python tools/example_keys.py``.

Development tooling only: nothing in the collection imports this file.
"""

from __future__ import annotations

import datetime
import fcntl
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE_DIR = os.path.join(REPO, "inventory", "examples", "files", "etcd")
FILES = ("ca.pem", "calico-client.pem", "calico-client-key.pem")
# Long enough that an old checkout's material does not expire under a test; a throw-away anyway.
VALIDITY = datetime.timedelta(days=825)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, issuer, public_key, signing_key, now, ca):
    builder = (x509.CertificateBuilder()
               .subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + VALIDITY)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
    else:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def material():
    """{file name: PEM bytes} of a fresh CA certificate, client certificate and client key."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("onprem-calico-example-etcd-ca")
    ca_cert = _certificate(ca_name, ca_name, ca_key.public_key(), ca_key, now, ca=True)
    client_key = ec.generate_private_key(ec.SECP256R1())
    client_cert = _certificate(_name("calico-client"), ca_name, client_key.public_key(), ca_key, now, ca=False)
    pem = serialization.Encoding.PEM
    return {
        "ca.pem": ca_cert.public_bytes(pem),
        "calico-client.pem": client_cert.public_bytes(pem),
        "calico-client-key.pem": client_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()),
    }


def ensure(directory=EXAMPLE_DIR):
    """Write the material into ``directory`` unless all of it is there; returns whether it wrote.
    Concurrent callers (parallel test runs) serialise on a lock of the directory, so the three
    files always belong together."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if all(os.path.exists(os.path.join(directory, name)) for name in FILES):
            return False
        for name, data in material().items():
            path = os.path.join(directory, name)
            tmp = path + ".tmp"
            with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o600 if name.endswith("-key.pem") else 0o644)
            os.replace(tmp, path)
        return True
    finally:
        os.close(fd)


if __name__ == "__main__":
    print("%s %s" % ("wrote" if ensure() else "kept", ", ".join(os.path.join(EXAMPLE_DIR, n) for n in FILES)))
    sys.exit(0)
