"""A release outside the catalog (calico_version with calico_manifest_sha256) is gated by its own
CRD schema, and the gate message still names the catalog releases that have the field. The file
under v3.29.6 is a stand-in (3.30.7's calico.yaml, which lacks BGPPeer.spec.keepaliveTime); what
matters is that the plan's release is read from the user's checksum, not from the catalog."""

from __future__ import annotations

import hashlib
import os
import shutil

import pytest
from plans import DESIGNS, UPSTREAM_DIR, make_plan

from ansible_collections.onprem.calico.plugins.plugin_utils import resources
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext, RenderError


def test_a_release_outside_the_catalog_is_gated_against_the_catalog_releases(tmp_path):
    for version in ("3.30.7", "3.31.7", "3.32.1"):
        os.symlink(os.path.join(UPSTREAM_DIR, "v" + version), str(tmp_path / ("v" + version)))
    (tmp_path / "v3.29.6").mkdir()
    shutil.copy(os.path.join(UPSTREAM_DIR, "v3.30.7", "calico.yaml"), str(tmp_path / "v3.29.6" / "calico.yaml"))
    with open(str(tmp_path / "v3.29.6" / "calico.yaml"), "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    plan = make_plan(version="3.29.6", **DESIGNS["tor_as_per_rack"])
    plan["manifest"].update(sha256=digest, sha256_source="calico_manifest_sha256")
    plan["bgp"]["peer_extra"] = {"keepaliveTime": "30s"}
    with pytest.raises(RenderError) as err:
        resources.build(plan, RenderContext(upstream_dir=str(tmp_path)))
    assert err.value.messages == [
        "calico_bgp_peer_extra.keepaliveTime: BGPPeer.spec.keepaliveTime is not in the Calico 3.29.6 CRD schema; "
        "the field exists from Calico 3.32.1. Raise calico_version or drop the setting"]
