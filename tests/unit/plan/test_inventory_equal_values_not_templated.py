"""collect() templates a node's copy of a cluster variable only when its text differs from the
cluster's: a group_vars file covering every node gives each node an equal (not the same) value,
and templating each of 2,000 copies would cost the plan its run time for nothing."""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import collect


def test_a_node_value_equal_to_the_clusters_is_not_templated_again():
    # Each host's variables parsed on their own: equal lists, distinct objects.
    hosts = {n: {"calico_node_subnets": ["10.0.0.0/16"]} for n in ("n1", "n2", "n3")}
    hosts["n3"]["calico_node_subnets"] = ["10.9.0.0/16"]
    templated = []

    def host_value(host, name):
        templated.append((host, name))
        return hosts[host][name]

    inv = collect({"k8s_cluster": ["n1", "n2", "n3"]}, {}, lambda name: None, lambda host: hosts[host], host_value)
    assert inv.cluster == {"calico_node_subnets": ["10.0.0.0/16"]}
    assert inv.conflicts == [("n3", "calico_node_subnets")]
    # n1 gives the cluster's value; n2's equal copy is taken as is; only n3's differing text is templated.
    assert templated == [("n1", "calico_node_subnets"), ("n3", "calico_node_subnets")]
