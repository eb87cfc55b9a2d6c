"""The input schema: conversion, YAML traps, the check of the names an inventory sets, and the
table itself (every entry reaches the docs, the argument specs and the survey)."""

import json
import os
import re
import sys

import pytest
import yaml

from plan_inputs import base
from testpaths import REPO

from ansible_collections.onprem.calico.plugins.plugin_utils import input_schema as schema
from ansible_collections.onprem.calico.plugins.plugin_utils.input_schema import VARIABLES, Var
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan
from ansible_collections.onprem.calico.plugins.plugin_utils.preflight import Findings

sys.path.insert(0, os.path.join(REPO, "tools"))

import schema_docs  # noqa: E402  pylint: disable=wrong-import-position


def read(*parts):
    with open(os.path.join(REPO, *parts), encoding="utf-8") as fh:
        return fh.read()


def messages(issues):
    return [str(i) for i in issues]


def load(**cluster):
    findings = Findings()
    values = schema.load_cluster(cluster, findings)
    return values, findings


# --- conversion --------------------------------------------------------------------------


@pytest.mark.parametrize("name, raw, expected", [
    ("calico_block_size", "27", 27),            # survey answers and -e values arrive as text
    ("calico_block_size", 27, 27),
    ("calico_production", "yes", True),
    ("calico_production", "False", False),
    ("calico_production", 1, True),
    ("calico_mtu", "auto", "auto"),
    ("calico_mtu", "8930", 8930),
    ("calico_typha_replicas", 4, 4),
    ("calico_cluster_name", 123, "123"),
    ("calico_node_subnets", ("10.0.0.0/24",), ["10.0.0.0/24"]),
    ("calico_felix_env", {"FELIX_X": "1"}, {"FELIX_X": "1"}),
    ("calico_kubernetes_version", "1.30", "1.30"),
    ("calico_tor_design", "", None),            # optional: an empty answer is unset
    ("calico_conntrack_max", "", None),
])
def test_values_convert_by_their_declared_type(name, raw, expected):
    values, findings = load(**{name: raw})
    assert values[name] == expected and not findings.errors, messages(findings.errors)


@pytest.mark.parametrize("name, raw, expected", [
    ("calico_block_size", "big", "must be an integer, got 'big'."),
    ("calico_production", "maybe", "must be true or false, got 'maybe'."),
    ("calico_mtu", "large", "must be an integer or 'auto', got 'large'."),
    ("calico_node_subnets", "10.0.0.0/24", "must be a list, got '10.0.0.0/24'."),
    ("calico_racks", ["r1"], "must be a mapping, got ['r1']."),
    ("calico_cluster_name", True, "must be a string, got True."),
])
def test_a_wrong_type_is_an_error_naming_the_variable_and_the_default_is_used(name, raw, expected):
    values, findings = load(**{name: raw})
    assert messages(findings.errors) == ["%s: %s Fix: set %s to %s." % (name, expected, name, expected.split(", got")[0][len("must be "):])]
    assert values[name] == schema.BY_NAME[name].default


def test_a_value_outside_the_choices_is_an_error_and_kept():
    values, findings = load(calico_encapsulation="gre")
    assert messages(findings.errors) == [
        "calico_encapsulation: is 'gre', not one of: ipip, ipip_cross_subnet, vxlan, vxlan_cross_subnet, none. "
        "Fix: pick one of ipip, ipip_cross_subnet, vxlan, vxlan_cross_subnet, none."]
    assert values["calico_encapsulation"] == "gre"


def test_a_value_outside_the_schema_range_is_an_error():
    values, findings = load(calico_conntrack_max=0)
    assert messages(findings.errors) == ["calico_conntrack_max: is 0, outside >= 1. Fix: use a value in >= 1."]
    assert values["calico_conntrack_max"] is None


@pytest.mark.parametrize("var", [v for v in VARIABLES if v.bounds_checked_by_plan], ids=lambda v: v.name)
def test_bounds_the_plan_checks_itself_match_the_schema(var):
    """The schema documents these bounds; plan.py enforces them. Both must say the same."""
    for outside in (var.minimum - 1 if var.minimum is not None else None, var.maximum + 1 if var.maximum is not None else None):
        if outside is None:
            continue
        result = build_plan(base(**{var.name: outside}))
        assert any(var.name in str(e) for e in result.errors), (var.name, outside, messages(result.errors))
    values, findings = load(**{var.name: var.minimum})
    assert values[var.name] == var.minimum and not findings.errors  # the converter leaves them to the plan


# --- YAML traps ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, number, meant", [
    ("calico_kubernetes_version", 1.3, "1.30"),     # 1.30 unquoted
    ("calico_kubernetes_version", 1.33, "1.33"),
    ("calico_kubernetes_version", 1.4, "1.4"),      # no known minor: the number as written
    ("calico_version", 3.3, "3.30.7"),              # 3.30 unquoted: the supported 3.30 release
    ("calico_version", 3.31, "3.31.7"),
    ("calico_kubernetes_version", 1, "1"),
])
def test_a_version_given_as_a_number_is_an_error_naming_the_quoted_value_meant(name, number, meant):
    result = build_plan(base(**{name: number}))
    errors = [str(e) for e in result.errors if e.subject == name]
    assert errors == ["%s: is the number %r: YAML reads an unquoted version as a number and drops trailing zeros. "
                      'Fix: quote it: %s: "%s".' % (name, number, name, meant)]
    assert result.plan is None


def test_an_unquoted_version_in_a_real_yaml_file_is_caught(tmp_path):
    from inventory_loader import load_inventory

    (tmp_path / "hosts.yml").write_text(
        "all:\n  vars:\n    calico_kubernetes_version: 1.30\n  children:\n    k8s_cluster:\n      hosts:\n"
        "        a: {ansible_host: 10.0.0.1}\n")
    result = build_plan(load_inventory(str(tmp_path / "hosts.yml")))
    assert [str(e) for e in result.errors] == [
        'calico_kubernetes_version: is the number 1.3: YAML reads an unquoted version as a number and drops trailing zeros. '
        'Fix: quote it: calico_kubernetes_version: "1.30".']


# --- names the inventory sets -------------------------------------------------------------


def check(set_names, allowed=()):
    findings = Findings()
    schema.check_set_names(set_names, allowed, findings)
    return messages(findings.errors), messages(findings.warnings)


def test_edit_distance_counts_a_transposition_once():
    assert schema.edit_distance("calico_encapsulaton", "calico_encapsulation") == 1
    assert schema.edit_distance("calico_prodcution", "calico_production") == 1
    assert schema.edit_distance("calico_asn", "calico_asn") == 0
    assert schema.edit_distance("calico_a", "calico_abcdef") == 3  # above the limit: limit + 1


def test_a_near_miss_is_an_error_with_did_you_mean_and_where_it_was_set():
    errors, warnings = check({"calico_encapsulaton": ["inventory/prod/group_vars/all.yml"]})
    assert errors == ["calico_encapsulaton: is not a variable of onprem.calico (set in inventory/prod/group_vars/all.yml). "
                      "Did you mean calico_encapsulation? Fix: rename it to calico_encapsulation, or list it in "
                      "calico_allowed_extra_vars if it is the site's own."]
    assert warnings == []


@pytest.mark.parametrize("typo, meant", [
    ("calico_bgp_pasword", "calico_bgp_password"),
    ("calico_prodution", "calico_production"),
    ("calico_tor_platfrom", "calico_tor_platform"),
    ("calico_manifest_skip_apii", "calico_manifest_skip_api"),
])
def test_typos_of_every_scope_are_errors(typo, meant):
    errors = check({typo: ["extra vars"]})[0]
    assert len(errors) == 1 and "Did you mean %s?" % meant in errors[0] and "(set in extra vars)" in errors[0]


def test_many_places_are_shortened():
    errors = check({"calico_rak": ["host_vars/n%d.yml" % i for i in range(1, 6)]})[0]
    assert "(set in host_vars/n1.yml, host_vars/n2.yml, host_vars/n3.yml and 2 more)" in errors[0]


@pytest.mark.parametrize("theirs, ours", sorted(schema.KUBESPRAY_NAMES.items()))
def test_kubespray_names_warn_and_name_ours(theirs, ours):
    errors, warnings = check({theirs: ["group_vars/k8s_cluster/k8s-net-calico.yml"]})
    assert errors == []
    assert warnings == ["%s: is kubespray's name; onprem.calico does not read it (set in group_vars/k8s_cluster/k8s-net-calico.yml). "
                        "Fix: set %s instead (docs/inventory.md)." % (theirs, ours)]
    assert ours in schema.BY_NAME


def test_other_unknown_names_are_one_warning_listing_each_once():
    errors, warnings = check({"calico_site_owner": ["group_vars/all.yml"], "calico_dc_room": ["host_vars/n1.yml", "host_vars/n2.yml"]})
    assert errors == []
    assert warnings == [
        "calico_allowed_extra_vars: 2 variable(s) set in the inventory or extra vars are not read by onprem.calico: "
        "calico_dc_room (host_vars/n1.yml, host_vars/n2.yml); calico_site_owner (group_vars/all.yml). Fix: remove them, fix "
        "their names (docs/inventory.md), or list the site's own in calico_allowed_extra_vars."]


def test_the_allow_list_silences_names_and_patterns_but_not_typos_outside_it():
    names = {"calico_site_owner": ["a"], "calico_dc_room": ["b"], "calico_encapsulaton": ["c"]}
    errors, warnings = check(names, ["calico_site_owner", "calico_dc_*"])
    assert warnings == [] and len(errors) == 1 and errors[0].startswith("calico_encapsulaton:")
    assert check(names, ["calico_*"]) == ([], [])


def test_known_names_and_other_prefixes_are_not_reported():
    names = {v.name: ["group_vars/all.yml"] for v in VARIABLES}
    names.update({"ansible_user": ["x"], "kube_version": ["y"], "lab_nodes": ["z"]})
    assert check(names) == ([], [])


def test_the_plan_core_reads_the_allow_list_from_the_inventory():
    inv = base(calico_allowed_extra_vars=["calico_site_*"])
    inv.set_names = {"calico_site_owner": ["group_vars/all.yml"], "calico_pool_cidr": ["group_vars/all.yml"]}
    result = build_plan(inv)
    assert result.ok
    assert [w.subject for w in result.warnings] == ["calico_pool_cidr"]
    inv.set_names["calico_prodction"] = ["extra vars"]
    assert [e.subject for e in build_plan(inv).errors] == ["calico_prodction"]


def test_names_are_not_checked_when_the_caller_cannot_tell():
    inv = base()
    assert inv.set_names is None and build_plan(inv).ok


# --- the table -------------------------------------------------------------------------------


def test_names_are_unique_and_types_known():
    names = [v.name for v in VARIABLES]
    assert len(names) == len(set(names))
    assert {v.type for v in VARIABLES} <= set(schema.TYPES)
    for var in VARIABLES:
        assert var.scopes and all(re.fullmatch(r"cluster|node|router|role:[a-z_]+(:[a-z_]+)?|(playbook|site):\S+", s) for s in var.scopes), var
        assert var.description.endswith("."), var.name
        assert not (var.required and var.default is not None), var.name


@pytest.mark.parametrize("var", VARIABLES, ids=lambda v: v.name)
def test_defaults_and_examples_pass_their_own_conversion(var):
    for value in (var.default, var.example):
        if value is None or value is schema.NO_EXAMPLE:
            continue
        findings = Findings()
        assert schema._load_one(var, value, findings) == value, var.name
        assert not findings.errors, messages(findings.errors)
    if var.in_scope("cluster"):
        assert var.section, "cluster variable %s needs a section of docs/inventory.md" % var.name
        assert var.example is not schema.NO_EXAMPLE or var.details, "%s needs an example" % var.name


def test_every_entry_reaches_the_inventory_doc():
    doc = read("docs", "inventory.md")
    for var in VARIABLES:
        assert re.search(r"^\| `%s` \|" % re.escape(var.name), doc, re.M), var.name
    assert doc == schema_docs.inventory_doc(REPO)


def spec_options(role, entry):
    return yaml.safe_load(read("roles", role, "meta", "argument_specs.yml"))["argument_specs"][entry].get("options") or {}


@pytest.mark.parametrize("var", [v for v in VARIABLES if v.roles()], ids=lambda v: v.name)
def test_every_role_entry_reaches_its_argument_spec(var):
    for role, entry in var.roles():
        option = spec_options(role, entry)[var.name]
        assert option["description"].startswith(var.description)
        assert option.get("default") == (var.default if not var.required else None)
        assert option.get("required", False) == var.required
        assert option.get("choices", []) == list(var.choices)


def test_argument_specs_list_nothing_the_schema_does_not():
    for role in os.listdir(os.path.join(REPO, "roles")):
        spec = yaml.safe_load(read("roles", role, "meta", "argument_specs.yml"))["argument_specs"]
        for entry, ep in spec.items():
            for name in ep.get("options") or {}:
                assert (role, entry) in schema.BY_NAME[name].roles(), (role, entry, name)


def test_every_scalar_cluster_entry_reaches_the_survey_and_nothing_else_does():
    survey = json.loads(read("docs", "awx", "survey.json"))
    asked = {q["variable"]: q for q in survey["spec"]}
    scalars = {v.name for v in VARIABLES if v.in_scope("cluster") and v.type not in ("list", "dict") and not v.secret}
    assert set(asked) == scalars
    for name, question in asked.items():
        var = schema.BY_NAME[name]
        assert question["required"] is False and "default" not in question  # never overrides the inventory
        if var.choices:
            assert question["type"] == "multiplechoice" and question["choices"] == [str(c) for c in var.choices]
        if var.type == "bool":
            assert question["choices"] == ["true", "false"]
        if question["type"] == "integer":
            assert (question["min"], question["max"]) == (var.minimum if var.minimum is not None else -(2 ** 31),
                                                          var.maximum if var.maximum is not None else 2 ** 31 - 1)
    assert asked["calico_asn"]["type"] == "text"  # 4-byte AS numbers do not fit AWX's integer question
    assert "calico_bgp_password" not in asked


def test_the_awx_doc_links_the_survey():
    assert "docs/awx/survey.json" in read("docs", "awx.md")


def test_a_hand_edit_of_generated_text_is_drift(tmp_path):
    """What gen_docs --check compares: the generator's text against the committed files."""
    (tmp_path / "docs").mkdir()
    edited = read("docs", "inventory.md").replace("| `calico_block_size` | int | `26` |", "| `calico_block_size` | int | `24` |")
    assert edited != read("docs", "inventory.md")
    (tmp_path / "docs" / "inventory.md").write_text(edited)
    assert schema_docs.inventory_doc(str(tmp_path)) == read("docs", "inventory.md")
    spec_path = os.path.join("roles", "calico_tor", "meta", "argument_specs.yml")
    (tmp_path / "roles" / "calico_tor" / "meta").mkdir(parents=True)
    (tmp_path / spec_path).write_text(read(spec_path).replace("default: 120", "default: 60"))
    assert schema_docs.argument_specs(str(tmp_path))[spec_path] == read(spec_path)


def test_variables_the_playbooks_read_are_in_the_schema():
    """A stage playbook reading a calico_* variable with a default is reading user input."""
    read_names = set()
    for folder in ("playbooks",):
        for root, _dirs, files in os.walk(os.path.join(REPO, folder)):
            for f in files:
                if f.endswith(".yml"):
                    with open(os.path.join(root, f), encoding="utf-8") as fh:
                        read_names |= set(re.findall(r"\b(calico_[a-z0-9_]+) \| default\(", fh.read()))
    for role in os.listdir(os.path.join(REPO, "roles")):
        defaults = read("roles", role, "defaults", "main.yml")
        read_names |= set(re.findall(r"\b(calico_[a-z0-9_]+) \| default\(", defaults))
        read_names |= set(yaml.safe_load(defaults) or {})
    assert sorted(read_names - set(schema.BY_NAME)) == []


def test_a_new_entry_is_one_line_away_from_every_output():
    """The documented way to add a variable: one Var; docs, spec and survey follow."""
    extra = Var("calico_new_knob", ("cluster", "role:calico_host"), "int", "A new knob.", default=3, minimum=1, example=4,
                section="Typha")
    table = VARIABLES + (extra,)
    assert "| `calico_new_knob` | int | `3` | >= 1 | `calico_new_knob: 4` | A new knob. |" in schema_docs.reference(table)
    options = schema_docs.spec_options("calico_host", "main", table)
    assert options["calico_new_knob"] == {"type": "int", "default": 3, "description": "A new knob."}
    question = [q for q in schema.survey_spec(table)["spec"] if q["variable"] == "calico_new_knob"][0]
    assert question["type"] == "integer" and question["min"] == 1
    findings = Findings()
    assert schema.load_cluster({"calico_new_knob": "0"}, findings, table)["calico_new_knob"] == 3
    assert messages(findings.errors) == ["calico_new_knob: is 0, outside >= 1. Fix: use a value in >= 1."]
