"""retire_node.yml refuses while a retired node runs pods other than DaemonSet pods."""

from ansible_collections.onprem.calico.plugins.filter.lifecycle import calico_retire_blocking_pods


def pod(name, owner=None, phase="Running", namespace="default"):
    meta = {"name": name, "namespace": namespace}
    if owner:
        meta["ownerReferences"] = [{"kind": owner, "name": name + "-owner"}]
    return {"metadata": meta, "status": {"phase": phase}}


def test_only_running_pods_of_other_owners_block():
    results = [
        {"item": "n07", "resources": [pod("calico-node-x", "DaemonSet", namespace="kube-system"),
                                      pod("web-1", "ReplicaSet"), pod("job-done", "Job", phase="Succeeded"),
                                      pod("static", phase="Pending")]},
        {"item": "n08", "resources": [pod("kube-proxy-y", "DaemonSet", namespace="kube-system")]},
        {"item": "n09", "skipped": True},
    ]
    assert calico_retire_blocking_pods(results) == ["n07: default/static", "n07: default/web-1"]


def test_drained_nodes_do_not_block():
    assert calico_retire_blocking_pods([{"item": "n07", "resources": [pod("ds", "DaemonSet")]}]) == []
