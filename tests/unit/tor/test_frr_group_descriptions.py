"""The two peer groups of a dual-stack FRR ToR are told apart by their descriptions, which an
operator reads in `show bgp peer-group` (issue 18: the mutation run found the IPv6 one untested)."""

from __future__ import annotations

from sample_plan import make_plan

from ansible_collections.onprem.calico.plugins.plugin_utils import tor
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext


def test_each_family_group_says_which_family_it_carries():
    artifacts = {a.path: a for a in tor.render(make_plan(pool_v6="fd00:10:244::/56"), RenderContext(secrets={}))}
    descriptions = [line for line in artifacts["tor/tor1.conf"].content.splitlines() if " description Calico nodes" in line]
    assert descriptions == [" neighbor CALICO-NODES description Calico nodes of rack r1",
                            " neighbor CALICO-NODES-V6 description Calico nodes of rack r1 (IPv6)"]
