"""ResourceSet.names(): the Calico objects of a render, grouped by kind in render order (what the
apply and the report list as owned). Only the Calico objects count: the Kubernetes-side objects
and the password Secret are not calicoctl resources."""

from __future__ import annotations

from plans import make_plan

from ansible_collections.onprem.calico.plugins.plugin_utils import resources


def test_names_groups_calico_objects_by_kind_in_order():
    calico = [
        {"kind": "BGPConfiguration", "metadata": {"name": "default"}},
        {"kind": "IPPool", "metadata": {"name": "pool-a"}},
        {"kind": "BGPPeer", "metadata": {"name": "peer-1"}},
        {"kind": "IPPool", "metadata": {"name": "pool-b"}},
    ]
    kubernetes = [{"kind": "Role", "metadata": {"name": "calico-bgp-password"}}]
    secret = {"kind": "Secret", "metadata": {"name": "calico-bgp-password"}}
    assert resources.ResourceSet(calico, kubernetes, secret).names() == {
        "BGPConfiguration": ["default"], "IPPool": ["pool-a", "pool-b"], "BGPPeer": ["peer-1"]}


def test_names_of_an_empty_set_is_empty():
    assert resources.ResourceSet([], [], None).names() == {}


def test_names_of_a_rendered_tor_design(ctx):
    plan = make_plan(mode="tor", tor_design="as_per_rack", dual_stack=True)
    names = resources.build(plan, ctx).names()
    # Calico's cluster-wide BGP settings live in the BGPConfiguration named "default".
    assert names["BGPConfiguration"] == ["default"]
    assert names["IPPool"] == ["default-ipv4-ippool", "default-ipv6-ippool"]
    assert "Secret" not in names and "Role" not in names
    assert len(names["BGPPeer"]) == len(set(names["BGPPeer"])) > 0
