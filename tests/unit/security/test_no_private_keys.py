"""No private key is committed: the example inventory's etcd material is generated at test time
(tools/example_keys.py, tests/conftest.py), kept out of git and out of the tarball."""

import os
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pem_keys import private_keys_in
from testpaths import REPO


def _git_checkout_of_repo():
    """True in a git checkout of this collection; false in a copy of it (the mutation run's
    tree, an unpacked tarball), where git would answer for another repository or none."""
    proc = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=REPO, capture_output=True, text=True, check=False)
    return proc.returncode == 0 and os.path.realpath(proc.stdout.strip()) == os.path.realpath(REPO)


needs_git_checkout = pytest.mark.skipif(not _git_checkout_of_repo(), reason="not a git checkout of the collection: no tracked files to read")


def test_the_helper_finds_a_real_key_and_ignores_placeholders(example_keys):
    key = open(os.path.join(example_keys.EXAMPLE_DIR, "calico-client-key.pem"), "rb").read()
    assert private_keys_in(b"x\n" + key + b"y\n")
    assert not private_keys_in(b"-----BEGIN PRIVATE KEY-----\nKEY-MATERIAL\n-----END PRIVATE KEY-----\n")
    encrypted = serialization.load_pem_private_key(key, password=None).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw"))
    assert private_keys_in(encrypted)


@needs_git_checkout
def test_no_tracked_file_holds_a_private_key():
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout.split(b"\0")
    offenders = []
    for name in filter(None, files):
        path = os.path.join(REPO, name.decode())
        if not os.path.isfile(path) or os.path.islink(path):
            continue
        with open(path, "rb") as handle:
            if private_keys_in(handle.read()):
                offenders.append(name.decode())
    assert offenders == [], "private keys committed (generate them at test time instead): %s" % offenders


@needs_git_checkout
def test_the_generated_example_material_is_ignored_by_git(example_keys):
    for name in example_keys.FILES:
        path = os.path.join(example_keys.EXAMPLE_DIR, name)
        assert os.path.exists(path)
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO, check=False).returncode == 0, name


def test_the_generated_example_material_is_a_usable_client_identity(example_keys, tmp_path):
    fresh = tmp_path / "etcd"
    fresh.mkdir()
    assert example_keys.ensure(str(fresh)) is True
    assert example_keys.ensure(str(fresh)) is False  # present: kept, not regenerated
    assert oct(os.stat(fresh / "calico-client-key.pem").st_mode & 0o777) == "0o600"
    ca = x509.load_pem_x509_certificate((fresh / "ca.pem").read_bytes())
    cert = x509.load_pem_x509_certificate((fresh / "calico-client.pem").read_bytes())
    key = serialization.load_pem_private_key((fresh / "calico-client-key.pem").read_bytes(), password=None)
    cert.verify_directly_issued_by(ca)
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    assert x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    with pytest.raises(x509.ExtensionNotFound):
        ca.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
