"""The version-gate message says "exists from Calico X" when every release from X on has the
field. Calico's versions order numerically (3.9 < 3.10, and patch numbers pass 9), so the
"every release from X on" check must not compare versions as text."""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.plugin_utils import crd_schema


def _releases(having, versions):
    def schema(with_field):
        spec = {"type": "object", "properties": {"cidr": {"type": "string"}}}
        if with_field:
            spec["properties"]["newField"] = {"type": "string"}
        return {"type": "object", "properties": {"spec": spec}}
    return {v: crd_schema.ReleaseSchemas(v, {"IPPool": schema(v in having)}) for v in versions}


def test_a_field_present_from_a_one_digit_minor_on_is_said_to_exist_from_it():
    releases = _releases({"3.9.1", "3.10.0", "3.30.7"}, ("3.8.2", "3.9.1", "3.10.0", "3.30.7"))
    assert crd_schema.gate_message("calico_x", "IPPool", "spec.newField", "3.8.2", releases) == (
        "calico_x: IPPool.spec.newField is not in the Calico 3.8.2 CRD schema; the field exists from Calico 3.9.1. "
        "Raise calico_version or drop the setting")


def test_a_field_present_from_a_one_digit_patch_on_is_said_to_exist_from_it():
    releases = _releases({"3.30.9", "3.30.10"}, ("3.30.8", "3.30.9", "3.30.10"))
    assert crd_schema.gate_message("calico_x", "IPPool", "spec.newField", "3.30.8", releases) == (
        "calico_x: IPPool.spec.newField is not in the Calico 3.30.8 CRD schema; the field exists from Calico 3.30.9. "
        "Raise calico_version or drop the setting")
