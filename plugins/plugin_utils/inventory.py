"""The inventory contract: which groups and variables the plan core reads from an inventory.

``InventoryInput`` is what the plan core consumes: the cluster variables (resolved once for
the whole cluster), the groups, and the per-host variables of the hosts in those groups.
It carries no Ansible objects, so the core can be driven from tests, benchmarks or any other
inventory source. The variables themselves (types, defaults, docs) are declared in input_schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from ansible_collections.onprem.calico.plugins.plugin_utils import input_schema

# Groups the collection reads. k8s_cluster holds every node that runs calico-node.
GROUPS = (
    "k8s_cluster",
    "kube_control_plane",
    "kube_node",
    "calico_route_reflectors",
    "tor_routers",
    "etcd",
)

# The variable table lives in input_schema; these names are what collect() reads.
CLUSTER_VARS = input_schema.names("cluster")
NODE_VARS = input_schema.names("node")
ROUTER_VARS = input_schema.names("router")
HOST_VARS = tuple(dict.fromkeys(NODE_VARS + ROUTER_VARS))


@dataclass
class InventoryInput:
    """Everything the plan core reads, already resolved by whoever owns the inventory."""

    cluster: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Cluster variables found set differently on some hosts: (host, variable) pairs.
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    # Every variable name the inventory and the extra vars set, with where it was set (a file,
    # group or "extra vars"); None when the caller cannot tell (then names are not checked).
    set_names: dict[str, list[str]] | None = None

    def group(self, name: str) -> list[str]:
        return list(self.groups.get(name) or [])


_MISSING = object()


def collect(
    groups: Mapping[str, Iterable[str]],
    play_raw: Mapping[str, Any],
    play_value: Callable[[str], Any],
    host_raw: Callable[[str], Mapping[str, Any]],
    host_value: Callable[[str, str], Any],
) -> InventoryInput:
    """Build an ``InventoryInput`` from any inventory that can answer these questions.

    ``play_raw`` / ``play_value(name)``: cluster variables as the play sees them (group_vars/all,
    extra vars), untemplated / templated. ``host_raw(host)`` / ``host_value(host, name)``: a
    host's variables, untemplated / templated. Templating is only asked for variables that are
    set, so large inventories stay fast.

    A cluster variable may live in group_vars/all or in a group covering every node (e.g.
    group_vars/k8s_cluster); a node that disagrees with the cluster's value is a conflict.
    """
    grp = {g: list(dict.fromkeys(groups.get(g) or [])) for g in GROUPS}
    nodes = grp["k8s_cluster"]
    hosts_of_interest = list(dict.fromkeys(nodes + grp["tor_routers"]))
    raws = {h: host_raw(h) for h in hosts_of_interest}
    cluster: dict[str, Any] = {}
    conflicts: list[tuple[str, str]] = []
    for name in CLUSTER_VARS:
        if name in play_raw:
            cluster[name] = play_value(name)
            ref_raw, ref_value, ref_host = play_raw[name], cluster[name], None
        else:
            holders = [h for h in nodes if name in raws[h]]
            if not holders:
                continue
            ref_host = holders[0]
            ref_raw, ref_value = raws[ref_host][name], host_value(ref_host, name)
            cluster[name] = ref_value
            conflicts.extend((h, name) for h in nodes if name not in raws[h])
        for h in nodes:
            raw = raws[h].get(name, _MISSING)
            if raw is _MISSING or h == ref_host or raw is ref_raw or raw == ref_raw:
                continue
            if host_value(h, name) != ref_value:
                conflicts.append((h, name))
    hosts: dict[str, dict[str, Any]] = {}
    for h in hosts_of_interest:
        raw = raws[h]
        hosts[h] = {k: host_value(h, k) for k in HOST_VARS if k in raw}
    return InventoryInput(cluster=cluster, groups=grp, hosts=hosts, conflicts=sorted(set(conflicts)))


class HostView:
    """A host's variables fetched once per host and templated on demand in its own context.

    ``hostvars[host]`` recomputes every variable of the host on each access; on a 2,000-node
    inventory asking it once per variable dominated the plan's run time. ``make_templar(vars)``
    returns an object with ``template(value)`` bound to those variables.
    """

    def __init__(self, raw_get: Callable[[str], Mapping[str, Any]], make_templar: Callable[[Mapping[str, Any]], Any]):
        self._raw_get = raw_get
        self._make_templar = make_templar
        self._raw: dict[str, Mapping[str, Any]] = {}
        self._templars: dict[str, Any] = {}

    def raw(self, host: str) -> Mapping[str, Any]:
        if host not in self._raw:
            self._raw[host] = self._raw_get(host)
        return self._raw[host]

    def value(self, host: str, name: str) -> Any:
        templar = self._templars.get(host)
        if templar is None:
            templar = self._templars[host] = self._make_templar(self.raw(host))
        return templar.template(self.raw(host)[name])
