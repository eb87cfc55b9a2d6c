"""CRD schemas from the upstream calico.yaml: strict validation and version gates."""

from __future__ import annotations

import os
import shutil

import pytest
from plans import RELEASES, UPSTREAM_DIR

from ansible_collections.onprem.calico.plugins.plugin_utils import crd_schema
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderError


def peer(**spec):
    return {"apiVersion": "projectcalico.org/v3", "kind": "BGPPeer", "metadata": {"name": "p1"},
            "spec": dict({"peerIP": "10.0.0.1", "asNumber": 65001}, **spec)}


@pytest.mark.parametrize("version", RELEASES)
def test_every_release_has_the_kinds_we_render(version):
    release = crd_schema.load_release(version, UPSTREAM_DIR)
    assert {"BGPConfiguration", "BGPPeer", "IPPool", "CalicoNodeStatus"} <= set(release.kinds)
    assert release.validate(peer()) == []


@pytest.mark.parametrize("version", RELEASES)
def test_unknown_fields_are_rejected_at_any_depth(version):
    release = crd_schema.load_release(version, UPSTREAM_DIR)
    problems = release.validate(peer(peerAddress="10.0.0.2"))
    assert problems == ["BGPPeer p1: spec: unknown field peerAddress (Calico %s schema)" % version]
    nested = release.validate(peer(password={"secretKeyRef": {"name": "s", "key": "k", "bogus": 1}}))
    assert len(nested) == 1 and "spec.password.secretKeyRef: unknown field bogus" in nested[0]
    assert release.validate(dict(peer(), status={})) != []  # BGPPeer has no status in the schema


def test_types_enums_and_metadata_are_checked():
    release = crd_schema.load_release("3.31.7", UPSTREAM_DIR)
    assert "spec.asNumber: 'x' is not of type 'integer'" in release.validate(peer(asNumber="x"))[0]
    assert "spec.asNumber" in release.validate(peer(asNumber=2 ** 33))[0]  # int32 format
    assert "is not one of" in release.validate(peer(nextHopMode="Sometimes"))[0]
    bad_meta = peer()
    bad_meta["metadata"] = {"name": "p1", "labels": {"a": 1}, "ownerRef": "x"}
    problems = release.validate(bad_meta)
    assert any("metadata: unknown field ownerRef" in p for p in problems)
    assert any("metadata.labels.a" in p for p in problems)
    wrong_api = dict(peer(), apiVersion="crd.projectcalico.org/v1")
    assert "apiVersion must be projectcalico.org/v3" in release.validate(wrong_api)[0]


def test_cidr_format_is_checked_where_the_release_declares_it():
    pool = {"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": "p"},
            "spec": {"cidr": "10.0.0.0/33"}}
    assert crd_schema.load_release("3.31.7", UPSTREAM_DIR).validate(pool) == []  # no format there
    assert "spec.cidr" in crd_schema.load_release("3.32.1", UPSTREAM_DIR).validate(pool)[0]


def test_gates_are_derived_from_each_release_schema():
    releases = crd_schema.available_releases(UPSTREAM_DIR)
    assert list(releases) == list(RELEASES)
    assert crd_schema.versions_with_field("BGPPeer", "spec.keepaliveTime", releases) == ["3.32.1"]
    assert crd_schema.versions_with_field("BGPPeer", "spec.localASNumber", releases) == ["3.31.7", "3.32.1"]
    assert crd_schema.versions_with_field("IPPool", "spec.namespaceSelector", releases) == ["3.31.7", "3.32.1"]
    assert crd_schema.versions_with_field("BGPPeer", "spec.numAllowedLocalASNumbers", releases) == list(RELEASES)
    # Deprecated spellings dropped in 3.32: the gate follows the schema both ways.
    assert crd_schema.versions_with_field("IPPool", "spec.nat-outgoing", releases) == ["3.30.7", "3.31.7"]
    assert crd_schema.versions_with_field("BGPPeer", "spec.noSuchField", releases) == []


def test_gate_message_names_variable_and_versions():
    releases = crd_schema.available_releases(UPSTREAM_DIR)
    message = crd_schema.gate_message("calico_bgp_peer_extra.keepaliveTime", "BGPPeer", "spec.keepaliveTime",
                                      "3.31.7", releases)
    assert message.startswith("calico_bgp_peer_extra.keepaliveTime: BGPPeer.spec.keepaliveTime is not in the "
                              "Calico 3.31.7 CRD schema")
    assert "exists from Calico 3.32.1" in message
    gone = crd_schema.gate_message("x", "IPPool", "spec.nat-outgoing", "3.32.1", releases)
    assert "exists in Calico 3.30.7, 3.31.7" in gone


def test_a_modified_calico_yaml_is_refused(tmp_path):
    target = tmp_path / "v3.31.7"
    target.mkdir()
    original = os.path.join(UPSTREAM_DIR, "v3.31.7", "calico.yaml")
    shutil.copy(original, target / "calico.yaml")
    with open(target / "calico.yaml", "a") as handle:
        handle.write("\n# tampered\n")
    with pytest.raises(RenderError) as err:
        crd_schema.load_release("3.31.7", str(tmp_path))
    assert "checksum mismatch" in str(err.value)


def test_missing_file_and_unknown_release_are_clear_errors(tmp_path):
    with pytest.raises(RenderError) as err:
        crd_schema.load_release("3.31.7", str(tmp_path))
    assert "cannot read" in str(err.value) and "v3.31.7/calico.yaml" in str(err.value)
    with pytest.raises(RenderError) as err:
        crd_schema.load_release("3.29.9", UPSTREAM_DIR)
    assert "not in the version catalog" in str(err.value)
