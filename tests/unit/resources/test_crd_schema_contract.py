"""The CRD schema layer's contract in detail: strictness as Kubernetes' strict field validation
applies it (an object that declares properties rejects others unless it preserves unknown
fields or declares additionalProperties), field paths and messages, the int32 and cidr formats,
the etcd-only Node shape, and the version gates, with hand-made release schemas where the real
ones would only slow the test down."""

from __future__ import annotations

import pytest
from plans import UPSTREAM_DIR

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog, crd_schema
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderError

V3 = "projectcalico.org/v3"


@pytest.fixture(scope="module")
def release_3317():
    return crd_schema.load_release("3.31.7", UPSTREAM_DIR)


@pytest.fixture(scope="module")
def release_3321():
    return crd_schema.load_release("3.32.1", UPSTREAM_DIR)


def obj(kind, spec, name="x", **meta):
    return {"apiVersion": V3, "kind": kind, "metadata": dict({"name": name}, **meta), "spec": spec}


def test_strict_closes_every_object_that_declares_properties():
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "object", "properties": {"b": {"type": "string"}}},
            "open": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {"c": {}}},
            "map": {"type": "object", "additionalProperties": {"type": "object", "properties": {"d": {}}}},
            "list": {"type": "array", "items": {"type": "object", "properties": {"e": {}}}},
            "choice": {"anyOf": [{"properties": {"f": {}}}], "oneOf": [{"properties": {"g": {}}}],
                       "allOf": [{"properties": {"h": {}}}], "not": {"properties": {"i": {}}}},
            "free": {"type": "object"},
            "typed_extras": {"type": "object", "properties": {"j": {}}, "additionalProperties": {"type": "string"}},
        },
    }
    strict = crd_schema._strict(schema)
    assert strict["additionalProperties"] is False
    props = strict["properties"]
    assert props["a"]["additionalProperties"] is False
    assert "additionalProperties" not in props["open"]
    assert props["map"]["additionalProperties"] == {"type": "object", "properties": {"d": {}}, "additionalProperties": False}
    assert props["list"]["items"]["additionalProperties"] is False
    for key in ("anyOf", "oneOf", "allOf"):
        assert props["choice"][key][0]["additionalProperties"] is False
    assert props["choice"]["not"]["additionalProperties"] is False
    assert props["free"] == {"type": "object"}  # nothing declared, nothing to close
    assert props["typed_extras"]["additionalProperties"] == {"type": "string"}  # declared extras stay allowed
    # the input is left alone
    assert "additionalProperties" not in schema and "additionalProperties" not in schema["properties"]["a"]


def test_unknown_fields_are_named_in_order_and_counted(release_3317):
    problems = release_3317.validate(obj("BGPPeer", {"peerIP": "10.0.0.1", "asNumber": 65001, "zeta": 1, "alpha": 2}))
    assert problems == ["BGPPeer x: spec: unknown fields alpha, zeta (Calico 3.31.7 schema)"]


def test_a_list_item_is_named_by_its_index(release_3317):
    config = obj("BGPConfiguration", {"serviceClusterIPs": [{"cidr": "10.96.0.0/12"}, {"cidr": "10.97.0.0/16", "bogus": True}]},
                 name="default")
    assert release_3317.validate(config) == [
        "BGPConfiguration default: spec.serviceClusterIPs[1]: unknown field bogus (Calico 3.31.7 schema)"]


def test_problems_are_listed_in_field_order(release_3317):
    problems = release_3317.validate(obj("BGPPeer", {"peerIP": 1, "asNumber": "x"}))
    assert problems == ["BGPPeer x: spec.asNumber: 'x' is not of type 'integer' (Calico 3.31.7 schema)",
                        "BGPPeer x: spec.peerIP: 1 is not of type 'string' (Calico 3.31.7 schema)"]


def test_an_object_level_problem_is_labelled_object(release_3317):
    problems = release_3317.validate({"apiVersion": V3, "kind": "BGPPeer", "metadata": {"name": "p"}, "spec": {}, "extra": 1})
    assert problems == ["BGPPeer p: (object): unknown field extra (Calico 3.31.7 schema)"]


def test_metadata_problems(release_3317):
    problems = release_3317.validate(obj("BGPPeer", {}, labels={"a": 1}, owner="me"))
    assert problems == ["BGPPeer x: metadata: unknown field owner", "BGPPeer x: metadata.labels.a: 1 is not of type 'string'"]
    nameless = {"apiVersion": V3, "kind": "BGPPeer", "metadata": {}, "spec": {}}
    assert release_3317.validate(nameless) == ["BGPPeer ?: metadata: 'name' is a required property"]
    assert release_3317.validate(obj("BGPPeer", {}, name="")) == ["BGPPeer : metadata.name: '' should be non-empty"]


def test_wrong_api_version_and_unknown_kind(release_3317):
    assert release_3317.validate({"apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool", "metadata": {"name": "p"}}) == [
        "IPPool p: apiVersion must be projectcalico.org/v3, got 'crd.projectcalico.org/v1'"]
    assert release_3317.validate({"kind": "IPPool"}) == ["IPPool ?: apiVersion must be projectcalico.org/v3, got None"]
    assert release_3317.validate(obj("Gadget", {})) == ["Gadget x: Calico 3.31.7 has no kind 'Gadget'"]


def test_cel_rules_run_only_on_an_object_that_meets_the_schema(release_3321):
    both = {"node": "node01", "nodeSelector": "all()", "peerIP": "10.0.0.1", "asNumber": 65001}
    assert release_3321.validate(obj("BGPPeer", both)) == [
        "BGPPeer x: spec: node and nodeSelector cannot both be set (Calico 3.32.1 rule)"]
    # With a schema problem the rule is not evaluated (the API server stops at the schema too).
    assert release_3321.validate(obj("BGPPeer", dict(both, bogus=1))) == [
        "BGPPeer x: spec: unknown field bogus (Calico 3.32.1 schema)"]


@pytest.mark.parametrize("asn, ok", [(2 ** 31 - 1, True), (2 ** 31, False), (-(2 ** 31), True), (-(2 ** 31) - 1, False), (0, True)])
def test_int32_format_bounds(release_3317, asn, ok):
    """int32 is the signed 32-bit range, as OpenAPI defines the format."""
    problems = release_3317.validate(obj("BGPPeer", {"asNumber": asn}))
    if ok:
        assert problems == []
    else:
        assert problems == ["BGPPeer x: spec.asNumber: %d is not a 'int32' (Calico 3.31.7 schema)" % asn]


@pytest.mark.parametrize("cidr, ok", [("10.0.0.0/8", True), ("10.0.0.1/8", True), ("fd00::/64", True),
                                      ("10.0.0.0/33", False), ("not-a-cidr", False)])
def test_cidr_format_follows_go_parse_cidr(release_3321, cidr, ok):
    """Kubernetes checks format cidr with net.ParseCIDR, which accepts host bits after the prefix."""
    problems = release_3321.validate(obj("IPPool", {"cidr": cidr}))
    if ok:
        assert problems == []
    else:
        assert problems == ["IPPool x: spec.cidr: '%s' is not a 'cidr' (Calico 3.32.1 schema)" % cidr]


def test_the_etcd_node_shape_checks_the_fields_we_set(release_3317):
    node = obj("Node", {"bgp": {"asNumber": 65001, "ipv4Address": "10.0.0.1/24", "routeReflectorClusterID": "244.0.0.1"}})
    assert release_3317.validate(node) == []
    assert release_3317.validate(obj("Node", {"bgp": {"asnumber": 65001}})) == [
        "Node x: spec.bgp: unknown field asnumber (Calico 3.31.7 schema)"]
    assert release_3317.validate(obj("Node", {"bgp": {"asNumber": 2 ** 32}})) == [
        "Node x: spec.bgp.asNumber: 4294967296 is not a 'int32' (Calico 3.31.7 schema)"]
    assert release_3317.has_field("Node", "spec.bgp.routeReflectorClusterID")
    assert not release_3317.has_field("Node", "spec.bgp.nodeMeshPassword")


def test_has_field_descends_through_lists(release_3317):
    assert release_3317.has_field("BGPConfiguration", "spec.serviceClusterIPs.cidr")
    assert not release_3317.has_field("BGPConfiguration", "spec.serviceClusterIPs.prefix")
    assert release_3317.has_field("BGPPeer", "spec.password.secretKeyRef.key")
    assert not release_3317.has_field("BGPPeer", "spec.password.secretKeyRef.key.deeper")
    assert not release_3317.has_field("Gadget", "spec")


def test_a_controller_without_jsonschema_is_told_to_install_it(monkeypatch):
    monkeypatch.setattr(crd_schema, "jsonschema", None)
    release = crd_schema.ReleaseSchemas("3.31.7", {"IPPool": {"type": "object"}})
    with pytest.raises(RenderError) as raised:
        release.validator("IPPool")
    assert raised.value.messages == [
        "the Python package jsonschema is required on the controller to validate Calico resources against the CRD "
        "schemas (pip install jsonschema)"]


def fake_releases(having, versions=("3.9.1", "3.10.0", "3.30.7", "3.31.7")):
    """Releases whose IPPool declares spec.newField only in ``having``."""
    def schema(with_field):
        spec = {"type": "object", "properties": {"cidr": {"type": "string"}}}
        if with_field:
            spec["properties"]["newField"] = {"type": "string"}
        return {"type": "object", "properties": {"spec": spec}}
    return {v: crd_schema.ReleaseSchemas(v, {"IPPool": schema(v in having)}) for v in versions}


def test_versions_sort_numerically_not_as_text():
    assert crd_schema.version_key("3.10.0") > crd_schema.version_key("3.9.1")
    releases = fake_releases({"3.10.0", "3.9.1", "3.31.7"})
    assert crd_schema.versions_with_field("IPPool", "spec.newField", releases) == ["3.9.1", "3.10.0", "3.31.7"]


# Calico's versions order numerically (3.9 < 3.10, and patch numbers pass 9): "every release from X
# on has the field" must not compare versions as text.
def test_a_field_present_from_a_one_digit_minor_on_is_said_to_exist_from_it():
    releases = fake_releases({"3.9.1", "3.10.0", "3.30.7"}, ("3.8.2", "3.9.1", "3.10.0", "3.30.7"))
    assert crd_schema.gate_message("calico_x", "IPPool", "spec.newField", "3.8.2", releases) == (
        "calico_x: IPPool.spec.newField is not in the Calico 3.8.2 CRD schema; the field exists from Calico 3.9.1. "
        "Raise calico_version or drop the setting")


def test_a_field_present_from_a_one_digit_patch_on_is_said_to_exist_from_it():
    releases = fake_releases({"3.30.9", "3.30.10"}, ("3.30.8", "3.30.9", "3.30.10"))
    assert crd_schema.gate_message("calico_x", "IPPool", "spec.newField", "3.30.8", releases) == (
        "calico_x: IPPool.spec.newField is not in the Calico 3.30.8 CRD schema; the field exists from Calico 3.30.9. "
        "Raise calico_version or drop the setting")


def test_gate_message_for_a_field_added_in_a_release():
    releases = fake_releases({"3.10.0", "3.30.7", "3.31.7"})
    assert crd_schema.gate_message("calico_x", "IPPool", "spec.newField", "3.9.1", releases) == (
        "calico_x: IPPool.spec.newField is not in the Calico 3.9.1 CRD schema; the field exists from Calico 3.10.0. "
        "Raise calico_version or drop the setting")


def test_gate_message_for_a_field_some_releases_lack():
    releases = fake_releases({"3.9.1", "3.30.7"})
    assert crd_schema.gate_message("calico_x", "IPPool", "spec.newField", "3.31.7", releases) == (
        "calico_x: IPPool.spec.newField is not in the Calico 3.31.7 CRD schema; the field exists in Calico 3.9.1, 3.30.7. "
        "Raise calico_version or drop the setting")


def test_gate_message_for_a_field_no_release_has():
    releases = fake_releases(set())
    assert crd_schema.gate_message("calico_x", "IPPool", "spec.newFeild", "3.31.7", releases) == (
        "calico_x: IPPool.spec.newFeild is not a field of IPPool in any Calico release checked (3.9.1, 3.10.0, 3.30.7, "
        "3.31.7); check its spelling (field names are the camelCase ones of the projectcalico.org/v3 API)")


def test_schema_source_checksums_and_locations(tmp_path):
    source = crd_schema.schema_source("3.31.7", str(tmp_path))
    assert (source.version, source.variant, source.sha256_source) == ("3.31.7", "calico.yaml", "catalog")
    assert source.expected_sha256 == catalog.manifest_sha256("3.31.7", "calico.yaml")
    assert source.location == str(tmp_path / "v3.31.7" / "calico.yaml")
    explicit = crd_schema.schema_source("3.31.7", None, "https://mirror.example/calico/", sha256="AB" * 32)
    assert (explicit.expected_sha256, explicit.sha256_source) == ("ab" * 32, "calico_manifest_sha256")
    assert explicit.location == "https://mirror.example/calico/v3.31.7/calico.yaml"
    # Without a directory or mirror the schemas come from Calico's release on GitHub.
    assert crd_schema.schema_source("3.31.7").location == catalog.manifest_url("3.31.7", "calico.yaml")
    assert crd_schema.schema_source("3.31.7").location.endswith("/v3.31.7/manifests/calico.yaml")


def test_schema_source_of_a_release_the_catalog_lacks():
    with pytest.raises(RenderError) as raised:
        crd_schema.schema_source("3.29.9")
    assert raised.value.messages == [
        "calico_version: Calico 3.29.9 is not in the version catalog, so the checksum of its calico.yaml (the source of "
        "the CRD schemas every Calico resource is validated against) is unknown; choose one of %s, or use the "
        "calico.yaml variant with calico_manifest_sha256" % ", ".join(catalog.SUPPORTED_VERSIONS)]
    assert crd_schema.schema_source("3.29.9", sha256="f" * 64).expected_sha256 == "f" * 64


def plan(variant, sha256_source, sha256="0" * 64):
    return {"cluster": {"version": "3.31.7"},
            "manifest": {"variant": variant, "sha256_source": sha256_source, "sha256": sha256, "mirror": None}}


def test_release_for_plan_uses_an_explicit_checksum_only_for_calico_yaml():
    # calico_manifest_sha256 names the checksum of the manifest variant; only for calico.yaml is
    # that the file the schemas come from, so a wrong one must fail there and be ignored otherwise.
    with pytest.raises(RenderError) as raised:
        crd_schema.release_for_plan(plan("calico.yaml", "calico_manifest_sha256"), UPSTREAM_DIR)
    assert "checksum mismatch" in str(raised.value) and "CRD schemas of Calico 3.31.7" in str(raised.value)
    assert crd_schema.release_for_plan(plan("calico-typha.yaml", "calico_manifest_sha256"), UPSTREAM_DIR).version == "3.31.7"
    assert "IPPool" in crd_schema.release_for_plan(plan("calico.yaml", "catalog"), UPSTREAM_DIR).kinds


def test_available_releases_are_the_readable_ones(tmp_path):
    (tmp_path / "v3.31.7").mkdir()
    (tmp_path / "v3.31.7" / "calico.yaml").symlink_to("%s/v3.31.7/calico.yaml" % UPSTREAM_DIR)
    releases = crd_schema.available_releases(str(tmp_path))
    assert list(releases) == ["3.31.7"] and releases["3.31.7"].version == "3.31.7"
    # the same directory as calico_manifest_mirror
    assert list(crd_schema.available_releases(None, str(tmp_path))) == ["3.31.7"]


def hand_release(spec_schema):
    return crd_schema.ReleaseSchemas("9.9.9", {"Thing": {"type": "object", "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}, "spec": spec_schema}}})


def test_an_object_that_allows_no_fields_names_each_one():
    release = hand_release({"type": "object", "additionalProperties": False})
    assert release.validate(obj("Thing", {"b": 1, "a": 2})) == ["Thing x: spec: unknown fields a, b (Calico 9.9.9 schema)"]


def test_other_checks_keep_the_validators_wording():
    release = hand_release({"type": "object", "properties": {"enabled": {"const": False}}})
    assert release.validate(obj("Thing", {"enabled": True})) == ["Thing x: spec.enabled: False was expected (Calico 9.9.9 schema)"]
