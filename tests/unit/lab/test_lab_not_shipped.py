"""The lab, the tests, molecule and the example key material stay out of the collection tarball."""

import os
import subprocess
import sys
import tarfile

import yaml

from pem_keys import private_keys_in
from testpaths import REPO


def test_tarball_leaves_out_the_lab_tests_and_example_keys(tmp_path, example_keys):
    # The example keys exist in the tree (tests/conftest.py generated them): the build must leave them out.
    assert all(os.path.exists(os.path.join(example_keys.EXAMPLE_DIR, n)) for n in example_keys.FILES)
    galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    subprocess.run([galaxy, "collection", "build", "--force", "--output-path", str(tmp_path), REPO],
                   check=True, capture_output=True)
    with open(os.path.join(REPO, "galaxy.yml"), encoding="utf-8") as fh:
        meta = yaml.safe_load(fh)
    with tarfile.open(tmp_path / ("%s-%s-%s.tar.gz" % (meta["namespace"], meta["name"], meta["version"]))) as tar:
        names = tar.getnames()
        with_keys = [m.name for m in tar.getmembers() if m.isfile() and private_keys_in(tar.extractfile(m).read())]
    assert with_keys == [], "the tarball holds private keys: %s" % with_keys
    for dev in ("lab/", "playbooks/lab/", "inventory/lab/", "inventory/lab-designs/", "molecule/", "tests/"):
        assert not [n for n in names if (n + "/").startswith(dev)], dev
    assert not [n for n in names if n.startswith("inventory/examples/files/") and n.endswith(".pem")]
    # The product's playbooks and the example inventories still ship.
    assert "playbooks/verify.yml" in names and "roles/calico_verify/tasks/node.yml" in names
    assert "inventory/examples/files/etcd/README.md" in names
