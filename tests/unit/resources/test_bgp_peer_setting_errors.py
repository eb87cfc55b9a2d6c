"""What the user is told about BGPPeer settings of the inventory, and when they are not checked.

Every refused setting gets its own complete message (a user fixes them all in one go), each names
the inventory variable to change, and with BGP off (calico_bgp_mode: none) no BGPPeer is rendered,
so the BGPPeer settings are inert, as the plan treats calico_tor_design outside tor mode.
"""

from __future__ import annotations

import hashlib
import os
import re

import pytest
from plans import DESIGNS, UPSTREAM_DIR, make_plan

from ansible_collections.onprem.calico.plugins.plugin_utils import resources
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext, RenderError

OWNED = ("%s: BGPPeer.spec.%s is set from the plan (BGP design, peers, password) and cannot be overridden; "
         "remove it from calico_bgp_peer_extra")


def test_every_planned_field_in_peer_extra_is_refused_with_its_own_message(ctx):
    plan = make_plan(**DESIGNS["tor_as_per_rack"])
    plan["bgp"]["peer_extra"] = {"asNumber": 65999, "peerIP": "10.9.9.9"}
    with pytest.raises(RenderError) as err:
        resources.build(plan, ctx)
    assert err.value.messages == [OWNED % ("calico_bgp_peer_extra.asNumber", "asNumber"),
                                  OWNED % ("calico_bgp_peer_extra.peerIP", "peerIP")]


def test_as_override_conflict_names_every_overriding_tor(ctx):
    plan = make_plan(**DESIGNS["tor_downward_default"])
    plan["bgp"]["peer_extra"] = {"numAllowedLocalASNumbers": 1}
    plan["tor_routers"] = {name: {"name": name, "as_override": True} for name in ("tor1a", "tor2a")}
    with pytest.raises(RenderError) as err:
        resources.build(plan, ctx)
    assert err.value.messages == ["calico_bgp_peer_extra.numAllowedLocalASNumbers: the ToRs tor1a, tor2a already use "
                                  "as-override; use one AS-loop override, not both (see docs/bgp.md)"]


def test_bgp_off_renders_no_peer_and_leaves_peer_settings_unchecked(ctx):
    plan = make_plan(**DESIGNS["none"])
    plan["bgp"]["peer_extra"] = {"peerIP": "10.9.9.9", "keepAliveTime": "30s"}
    rs = resources.build(plan, ctx)
    assert [o["kind"] for o in rs.calico] == ["IPPool"]


def test_ttl_security_on_a_release_without_it_names_the_inventory_variable(tmp_path):
    # Stand-in for an older release (outside the catalog, pinned by calico_manifest_sha256) whose
    # BGPPeer CRD has no ttlSecurity: 3.30.7's calico.yaml with that property removed.
    for version in ("3.30.7", "3.31.7", "3.32.1"):
        os.symlink(os.path.join(UPSTREAM_DIR, "v" + version), str(tmp_path / ("v" + version)))
    with open(os.path.join(UPSTREAM_DIR, "v3.30.7", "calico.yaml"), encoding="utf-8") as handle:
        text = handle.read()
    stripped, count = re.subn(r"^ {14}ttlSecurity:\n(?: {16,}.*\n)*", "", text, flags=re.M)
    assert count == 1
    (tmp_path / "v3.17.0").mkdir()
    (tmp_path / "v3.17.0" / "calico.yaml").write_text(stripped, encoding="utf-8")
    plan = make_plan(version="3.17.0", **DESIGNS["tor_as_per_rack"])
    plan["manifest"].update(sha256=hashlib.sha256(stripped.encode("utf-8")).hexdigest(),
                            sha256_source="calico_manifest_sha256")
    plan["bgp"]["ttl_security_hops"] = 1
    with pytest.raises(RenderError) as err:
        resources.build(plan, RenderContext(upstream_dir=str(tmp_path)))
    assert err.value.messages == [
        "calico_bgp_ttl_security: BGPPeer.spec.ttlSecurity is not in the Calico 3.17.0 CRD schema; "
        "the field exists from Calico 3.30.7. Raise calico_version or drop the setting"]
