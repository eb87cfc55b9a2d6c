"""The upgrade guard (plugins/plugin_utils/upgrade_guard.py): which release runs, and which moves
from it are allowed."""

from __future__ import annotations

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import upgrade_guard as ug


def info(version):
    return {"kind": "ClusterInformation", "metadata": {"name": "default"}, "spec": {"calicoVersion": version}}


def daemonset(image):
    return {"kind": "DaemonSet", "spec": {"template": {"spec": {"containers": [
        {"name": "calico-node", "image": image}, {"name": "other", "image": "busybox:1.36"}]}}}}


def test_running_release_prefers_cluster_information_then_the_image_tag():
    assert ug.running_release(info("v3.31.7"), daemonset("calico/node:v3.30.7")) == (
        "3.31.7", "ClusterInformation default (calicoVersion v3.31.7)")
    # etcd datastore: no ClusterInformation through the API; a mirror with a port and a digest.
    version, source = ug.running_release(None, daemonset("registry.example:5000/mirror/calico/node:v3.30.7@sha256:abcd"))
    assert version == "3.30.7" and "registry.example:5000/mirror/calico/node:v3.30.7@sha256:abcd" in source
    assert ug.running_release(None, daemonset("calico/node@sha256:abcd")) == (None, None)  # no tag: unknown
    assert ug.running_release(None, None) == (None, None)


@pytest.mark.parametrize("running,target,status", [
    ("v3.31.7", "3.31.7", "same"),
    ("v3.30.7", "3.31.7", "upgrade"),
    ("v3.31.2", "3.31.7", "upgrade"),
    ("v3.31.7", "3.32.1", "upgrade"),
    ("v3.30.7", "3.32.1", "refused"),
    ("v3.31.7", "3.30.7", "refused"),
    ("v3.31.7", "3.31.2", "refused"),
    ("v3.31.7", "4.0.0", "refused"),
])
def test_policy(running, target, status):
    assert ug.check(target, info(running))["status"] == status


def test_refusals_name_both_versions_and_the_way_on():
    downgrade = ug.check("3.30.7", info("v3.31.7"))["message"]
    assert "downgrade from 3.31.7 (running, ClusterInformation default (calicoVersion v3.31.7)) to 3.30.7" in downgrade
    assert "calico_upgrade_force=true" in downgrade
    skip = ug.check("3.32.1", None, daemonset("calico/node:v3.30.7"))["message"]
    assert "from 3.30.7 (running, DaemonSet kube-system/calico-node (image calico/node:v3.30.7)) to 3.32.1" in skip
    assert "upgrade to the latest 3.31.x first" in skip


def test_force_lets_a_refused_move_through_with_a_message():
    forced = ug.check("3.32.1", info("v3.30.7"), force=True)
    assert forced["status"] == "forced" and "3.30.7" in forced["message"] and "3.32.1" in forced["message"]
    assert ug.check("3.31.7", info("v3.30.7"), force=True)["status"] == "upgrade"  # allowed moves stay what they are


def test_fresh_cluster_and_bad_target():
    assert ug.check("3.31.7")["status"] == "fresh"
    with pytest.raises(ValueError, match="not a release"):
        ug.check("latest", info("v3.31.7"))
