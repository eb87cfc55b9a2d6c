"""The inventory contract (plugin_utils.inventory): what collect() takes from any inventory source,
how a cluster variable set per host or per group becomes one value or a conflict, and how HostView
fetches and templates a host's variables once. Driven by plain dicts and recording fakes."""

from __future__ import annotations

from plan_inputs import base

from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import GROUPS, HostView, InventoryInput, collect
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan


class FakeInventory:
    """Untemplated host variables; templating upper-cases strings that start with '{{' and counts calls."""

    def __init__(self, hosts, play=None):
        self.hosts = hosts
        self.play = play or {}
        self.templated = []

    def render(self, value):
        return value.strip("{} ").upper() if isinstance(value, str) and value.startswith("{{") else value

    def play_value(self, name):
        return self.render(self.play[name])

    def host_raw(self, host):
        return self.hosts.get(host, {})

    def host_value(self, host, name):
        self.templated.append((host, name))
        return self.render(self.hosts[host][name])

    def collect(self, groups):
        return collect(groups, self.play, self.play_value, self.host_raw, self.host_value)


def test_groups_are_the_collections_groups_each_listed_once():
    inv = FakeInventory({"n1": {}, "n2": {}}).collect({"k8s_cluster": ["n1", "n2", "n1"], "kube_node": ["n2"], "webservers": ["w1"]})
    assert inv.groups == {"k8s_cluster": ["n1", "n2"], "kube_control_plane": [], "kube_node": ["n2"], "calico_route_reflectors": [],
                          "tor_routers": [], "etcd": []}
    assert set(inv.groups) == set(GROUPS) and inv.group("webservers") == [] and inv.group("kube_node") == ["n2"]


def test_play_variables_win_and_are_templated():
    fake = FakeInventory({"n1": {}, "n2": {}}, play={"calico_asn": 64600, "calico_cluster_name": "{{ lab }}", "not_ours": 1})
    inv = fake.collect({"k8s_cluster": ["n1", "n2"]})
    assert inv.cluster == {"calico_asn": 64600, "calico_cluster_name": "LAB"} and inv.conflicts == []


def test_cluster_variable_set_on_every_node_by_a_group_is_taken_once():
    hosts = {n: {"calico_asn": 64600, "ansible_host": "10.0.0.%d" % i} for i, n in enumerate(("n1", "n2", "n3"))}
    inv = FakeInventory(hosts).collect({"k8s_cluster": ["n1", "n2", "n3"]})
    assert inv.cluster == {"calico_asn": 64600} and inv.conflicts == []


def test_node_missing_or_disagreeing_on_a_cluster_variable_is_a_conflict():
    hosts = {"n1": {"calico_asn": 64600}, "n2": {}, "n3": {"calico_asn": 64601}, "n4": {"calico_asn": 64600}}
    inv = FakeInventory(hosts).collect({"k8s_cluster": ["n1", "n2", "n3", "n4"]})
    assert inv.cluster["calico_asn"] == 64600
    assert inv.conflicts == [("n2", "calico_asn"), ("n3", "calico_asn")]


def test_node_against_the_play_value_conflicts_only_when_the_templated_values_differ():
    hosts = {"n1": {"calico_cluster_name": "{{ lab }}"}, "n2": {"calico_cluster_name": "{{ other }}"}, "n3": {}}
    fake = FakeInventory(hosts, play={"calico_cluster_name": "LAB"})
    inv = fake.collect({"k8s_cluster": ["n1", "n2", "n3"]})
    assert inv.cluster == {"calico_cluster_name": "LAB"}
    assert inv.conflicts == [("n2", "calico_cluster_name")]


def test_host_variables_of_nodes_and_routers_only_the_set_ones_templated():
    hosts = {"n1": {"ansible_host": "{{ addr }}", "calico_rack": "r1", "unrelated": 1},
             "tor1": {"calico_tor_asn": 65001, "calico_tor_peer_ip": "10.0.0.1"}, "other": {"calico_rack": "r9"}}
    fake = FakeInventory(hosts)
    inv = fake.collect({"k8s_cluster": ["n1"], "tor_routers": ["tor1"], "etcd": ["other"]})
    assert inv.hosts == {"n1": {"ansible_host": "ADDR", "calico_rack": "r1"}, "tor1": {"calico_tor_asn": 65001, "calico_tor_peer_ip": "10.0.0.1"}}
    assert ("n1", "unrelated") not in fake.templated and not any(pair[0] == "other" for pair in fake.templated)


def test_conflicting_cluster_variable_is_one_error_naming_the_hosts():
    inv = base()
    inv.conflicts = [("n02", "calico_asn"), ("n03", "calico_asn")]
    (error,) = build_plan(inv).errors
    assert error.subjects == ("n02", "n03")
    assert str(error) == (
        "n02, n03: sets cluster variable calico_asn to a value that differs from the cluster's. Fix: cluster variables apply to the "
        "whole cluster: set calico_asn once in group_vars/all (or as an extra var), not per host or per group."
    )


def test_inventory_input_group_is_a_copy():
    inv = InventoryInput(groups={"k8s_cluster": ["n1"]})
    inv.group("k8s_cluster").append("n2")
    assert inv.group("k8s_cluster") == ["n1"] and inv.group("etcd") == []


class Templar:
    def __init__(self, variables, made):
        self.variables = variables
        made.append(dict(variables))

    def template(self, value):
        return value.format(**self.variables) if isinstance(value, str) else value


def test_host_view_fetches_each_host_once_and_templates_in_its_own_variables():
    fetched, made = [], []
    hostvars = {"n1": {"name": "n1", "greeting": "hi {name}", "port": 179}, "n2": {"name": "n2", "greeting": "hi {name}"}}

    def raw_get(host):
        fetched.append(host)
        return hostvars[host]

    view = HostView(raw_get, lambda variables: Templar(variables, made))
    assert view.value("n1", "greeting") == "hi n1" and view.value("n2", "greeting") == "hi n2"
    assert view.value("n1", "port") == 179 and view.raw("n1") is hostvars["n1"]
    assert fetched == ["n1", "n2"] and made == [hostvars["n1"], hostvars["n2"]]
