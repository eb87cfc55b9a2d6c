"""The CEL subset of Calico's CRD rules, evaluated offline against rendered objects."""

from __future__ import annotations

import pytest
from plans import DESIGNS, RELEASES, UPSTREAM_DIR, make_plan

from ansible_collections.onprem.calico.plugins.plugin_utils import cel, crd_schema, resources


@pytest.mark.parametrize("rule, value, expected", [
    ("!has(self.a) || self.a == 'x'", {}, True),
    ("!has(self.a) || self.a == 'x'", {"a": "y"}, False),
    ("(!has(self.a) || size(self.a) == 0) || (!has(self.b) || size(self.b) == 0)", {"a": "n", "b": ""}, True),
    ("(!has(self.a) || size(self.a) == 0) || (!has(self.b) || size(self.b) == 0)", {"a": "n", "b": "m"}, False),
    ("!self.cidr.contains(':') || self.m == 'Never'", {"cidr": "fd00::/64", "m": "Always"}, False),
    ("!has(self.u) || !self.u.exists(x, x == 'L' || x == 'T')", {"u": ["W", "T"]}, False),
    ("!has(self.u) || !self.u.exists(x, x == 'L' || x == 'T')", {"u": ["W"]}, True),
    ("!has(self.p) || self.n != 0 && self.n == 3", {"p": 1, "n": 3}, True),
    ("self.flag == true", {"flag": True}, True),
])
def test_subset_semantics(rule, value, expected):
    assert cel.evaluate(rule, value) is expected


def test_transition_and_unknown_constructs_are_not_guessed():
    with pytest.raises(cel.Unsupported):
        cel.evaluate("self == oldSelf", 26)
    with pytest.raises(cel.Unsupported):
        cel.evaluate("self.matches('^a')", "a")
    with pytest.raises(cel.EvalError):
        cel.evaluate("self.a == 1", {})  # missing key without has(): the server rejects it


@pytest.mark.parametrize("version", RELEASES)
def test_rendered_designs_meet_every_rule(version, ctx):
    release = crd_schema.load_release(version, UPSTREAM_DIR)
    for design in DESIGNS.values():
        for obj in resources.build(make_plan(version=version, password=True, **design), ctx).calico:
            violations, skipped = cel.check(release.schema(obj["kind"]), obj)
            assert violations == []
            assert set(skipped) <= {"self == oldSelf"}


def test_rule_violations_are_reported_with_the_crd_message():
    # The rules arrived in the CRDs with 3.32; older releases' schemas carry none.
    assert cel.check(crd_schema.load_release("3.31.7", UPSTREAM_DIR).schema("IPPool"), {}) == ([], [])
    release = crd_schema.load_release("3.32.1", UPSTREAM_DIR)
    peer = {"apiVersion": "projectcalico.org/v3", "kind": "BGPPeer", "metadata": {"name": "p"},
            "spec": {"node": "node01", "nodeSelector": "all()", "peerSelector": "x == 'y'", "asNumber": 65001}}
    assert release.validate(peer) == [
        "BGPPeer p: spec: node and nodeSelector cannot both be set (Calico 3.32.1 rule)",
        "BGPPeer p: spec: asNumber must be empty when peerSelector is set (Calico 3.32.1 rule)"]
    pool = {"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": "v6"},
            "spec": {"cidr": "fd00:10::/56", "ipipMode": "Always", "vxlanMode": "Never"}}
    assert release.validate(pool) == ["IPPool v6: spec: IPIP is not supported on IPv6 pools (Calico 3.32.1 rule)"]
    config = {"apiVersion": "projectcalico.org/v3", "kind": "BGPConfiguration", "metadata": {"name": "default"},
              "spec": {"nodeToNodeMeshEnabled": False, "nodeMeshPassword": {"secretKeyRef": {"name": "s", "key": "k"}}}}
    assert release.validate(config) == ["BGPConfiguration default: spec: nodeMeshPassword cannot be set when "
                                        "nodeToNodeMeshEnabled is false (Calico 3.32.1 rule)"]


def test_a_plan_that_breaks_a_rule_fails_to_render(ctx):
    plan = make_plan(dual_stack=True, version="3.32.1", **DESIGNS["full_mesh"])
    plan["ip_pools"][1]["ipip_mode"] = "Always"  # IPv6 pool with IPIP
    with pytest.raises(resources.RenderError) as err:
        resources.build(plan, ctx)
    assert err.value.messages == ["IPPool default-ipv6-ippool: spec: IPIP is not supported on IPv6 pools "
                                  "(Calico 3.32.1 rule)"]
