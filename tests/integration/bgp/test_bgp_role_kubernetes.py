"""The Kubernetes side of playbooks/bgp.yml through kubernetes.core, against FAKE servers.

No API server can run here: tests/fakes/kube_apiserver.py (in-process HTTP stand-in for the
Node/Secret/Role/RoleBinding endpoints) takes kubernetes.core's calls, and tests/fakes/calicoctl
takes calicoctl's. Inventory: 4 nodes with two route reflectors, Kubernetes datastore.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "fakes"))

from kube_apiserver import FakeKubeAPI  # noqa: E402
from test_bgp_role import FAKE, RR_INVENTORY, RR_NODES, Lab, mesh_writes  # noqa: E402

PASSWORD = "bgp-test-secret-4b1d"
RBAC = "rbac.authorization.k8s.io/v1"


def test_nodes_secret_and_rbac_then_idempotent_then_pruned(tmp_path):
    lab = Lab(str(tmp_path))
    lab.seed_calico_node(RR_NODES)
    with FakeKubeAPI() as api:
        for name in RR_NODES:
            api.add("v1", "nodes", {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name},
                                                 "annotations": {"node.alpha.kubernetes.io/ttl": "0"}}})
        kubeconfig = tmp_path / "admin.conf"
        kubeconfig.write_text(api.kubeconfig())
        # calicoctl "installed" by the role from a mirror directory: the fake stands in for the
        # binary, so its checksum is given as calico_calicoctl_sha256 (the catalog's is the real one).
        mirror = tmp_path / "mirror" / "v3.31.7"
        mirror.mkdir(parents=True)
        shutil.copy(FAKE, mirror / "calicoctl-linux-amd64")
        with open(FAKE, "rb") as handle:
            fake_sha = hashlib.sha256(handle.read()).hexdigest()
        installed = tmp_path / "bin" / "calicoctl"
        installed.parent.mkdir()
        args = ("-e", "calico_bgp_kubeconfig=" + str(kubeconfig), "-e", "calico_bgp_calicoctl_install=true",
                "-e", "calico_calicoctl_mirror=" + str(tmp_path / "mirror"), "-e", "calico_calicoctl_sha256=" + fake_sha,
                "-e", "calico_bgp_calicoctl_dir=" + str(tmp_path / "lib"), "-e", "calico_bgp_calicoctl_path=" + str(installed))

        proc, changed, failed = lab.run(*args, "-e", "calico_bgp_password=" + PASSWORD, "--diff", inventory=RR_INVENTORY)
        assert failed == 0, proc.stdout[-5000:]
        assert changed > 0
        assert PASSWORD not in proc.stdout and PASSWORD not in proc.stderr
        assert os.readlink(installed) == str(tmp_path / "lib" / "calicoctl-3.31.7")
        assert oct(os.stat(tmp_path / "lib" / "calicoctl-3.31.7").st_mode & 0o777) == "0o755"
        assert {c["argv"][0] for c in lab.calls()} >= {"get", "create"}  # the installed copy did the work
        rr1 = api.get("v1", "nodes", "rr1")["metadata"]
        assert rr1["labels"] == {"kubernetes.io/hostname": "rr1", "route-reflector": "true"}
        assert rr1["annotations"]["projectcalico.org/RouteReflectorClusterID"] == "244.0.0.1"
        assert rr1["annotations"]["node.alpha.kubernetes.io/ttl"] == "0"
        assert "route-reflector" not in api.get("v1", "nodes", "worker1")["metadata"]["labels"]
        secret = api.get("v1", "secrets", "calico-bgp-password", "kube-system")
        assert base64.b64decode(secret["data"]["password"]).decode() == PASSWORD
        role = api.get(RBAC, "roles", "calico-bgp-password-reader", "kube-system")
        assert role["rules"][0]["resourceNames"] == ["calico-bgp-password"]
        binding = api.get(RBAC, "rolebindings", "calico-bgp-password-reader", "kube-system")
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "calico-node", "namespace": "kube-system"}]
        peer = lab.stored()["BGPPeer"]["onprem-calico-route-reflectors"]["spec"]
        assert peer["password"] == {"secretKeyRef": {"name": "calico-bgp-password", "key": "password"}}
        # Safe order: mesh kept, reflector peer created, sessions read, and only then the mesh off.
        calls = lab.calls()
        peer_created = [i for i, c in enumerate(calls) if c["argv"][0] == "create"
                        and json.loads(c["input"])["kind"] == "BGPPeer"]
        status_reads = [i for i, c in enumerate(calls) if c["argv"][:2] == ["get", "caliconodestatuses"]]
        (first, first_mesh), (second, second_mesh) = mesh_writes(lab)
        assert (first_mesh, second_mesh) == (True, False)
        assert first < peer_created[0] < second
        assert any(peer_created[0] < i < second for i in status_reads)
        node_patches = [r for r in api.writes() if r[0] == "PATCH" and r[1].startswith("/api/v1/nodes/")]
        assert sorted(r[1] for r in node_patches) == ["/api/v1/nodes/rr1", "/api/v1/nodes/rr2"]

        versions = {key: obj["metadata"]["resourceVersion"] for key, obj in api.objects.items()}
        proc, changed, failed = lab.run(*args, "-e", "calico_bgp_password=" + PASSWORD, inventory=RR_INVENTORY)
        assert (changed, failed) == (0, 0), proc.stdout[-5000:]
        # kubernetes.core sends no-op patches for "present"; none of them changed an object.
        assert {key: obj["metadata"]["resourceVersion"] for key, obj in api.objects.items()} == versions
        assert [r for r in api.writes() if r[0] == "PATCH" and r[1].startswith("/api/v1/nodes/")] == node_patches

        # Passwords off: the Secret and its RBAC go, the peers stop referencing it.
        proc, changed, failed = lab.run(*args, inventory=RR_INVENTORY)
        assert failed == 0, proc.stdout[-5000:]
        assert api.get("v1", "secrets", "calico-bgp-password", "kube-system") is None
        assert api.get(RBAC, "roles", "calico-bgp-password-reader", "kube-system") is None
        assert api.get(RBAC, "rolebindings", "calico-bgp-password-reader", "kube-system") is None
        assert "password" not in lab.stored()["BGPPeer"]["onprem-calico-route-reflectors"]["spec"]
        assert json.loads(api.get("v1", "nodes", "rr2")["metadata"]["annotations"]["onprem.calico/managed-fields"])
