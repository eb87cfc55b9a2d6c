"""The input schema's small rules, on synthetic variables: Ansible's booleans, integers from survey
text, the converter per type, bounds text, typo distance (optimal string alignment), where-lists,
role entry points and the AWX survey spec (question types text / integer / multiplechoice, 32-bit
integer bounds)."""

from __future__ import annotations

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import input_schema as schema
from ansible_collections.onprem.calico.plugins.plugin_utils.input_schema import Var
from ansible_collections.onprem.calico.plugins.plugin_utils.preflight import Findings


def load(variables, **cluster):
    findings = Findings()
    return schema.load_cluster(cluster, findings, variables), [str(e) for e in findings.errors]


# --- scalars ------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [True, "true", " Yes ", "ON", "1", 1, 7])
def test_ansible_true(raw):
    assert schema.as_bool(raw) is True


@pytest.mark.parametrize("raw", [False, "false", "No", " off ", "0", 0])
def test_ansible_false(raw):
    assert schema.as_bool(raw) is False


@pytest.mark.parametrize("raw", ["maybe", "", None, 1.0, [], "y"])
def test_not_a_boolean(raw):
    assert schema.as_bool(raw) is None


@pytest.mark.parametrize("raw, value", [(5, 5), (-3, -3), ("42", 42), (" -7 ", -7), ("0", 0)])
def test_integers_and_digits(raw, value):
    assert schema.as_int(raw) == value


@pytest.mark.parametrize("raw", [True, False, "1.5", 1.5, "12a", "", None, "- 1"])
def test_not_an_integer(raw):
    assert schema.as_int(raw) is None


# --- conversion per type ------------------------------------------------------------------------

TYPED = (
    Var("calico_t_str", ("cluster",), "str", "", default="x"),
    Var("calico_t_path", ("cluster",), "path", "", default="/tmp"),
    Var("calico_t_version", ("cluster",), "version", "", default="1.33"),
    Var("calico_t_int", ("cluster",), "int", "", default=3, minimum=1, maximum=9),
    Var("calico_t_auto", ("cluster",), "int_or_auto", "", default="auto"),
    Var("calico_t_bool", ("cluster",), "bool", "", default=False),
    Var("calico_t_list", ("cluster",), "list", "", default=[]),
    Var("calico_t_dict", ("cluster",), "dict", "", default={}),
    Var("calico_t_optional", ("cluster",), "str", ""),
    Var("calico_t_node", ("node",), "str", "", default="n"),
)


def test_defaults_for_every_unset_cluster_variable_and_nothing_else():
    values, errors = load(TYPED)
    assert errors == [] and "calico_t_node" not in values
    assert values == {"calico_t_str": "x", "calico_t_path": "/tmp", "calico_t_version": "1.33", "calico_t_int": 3, "calico_t_auto": "auto",
                      "calico_t_bool": False, "calico_t_list": [], "calico_t_dict": {}, "calico_t_optional": None}


def test_values_converted_by_type():
    values, errors = load(TYPED, calico_t_str=12, calico_t_path=1.5, calico_t_version="1.30", calico_t_int="9", calico_t_auto="7",
                          calico_t_bool="yes", calico_t_list=("a", "b"), calico_t_dict={"k": 1}, calico_t_optional="")
    assert errors == []
    assert values == {"calico_t_str": "12", "calico_t_path": "1.5", "calico_t_version": "1.30", "calico_t_int": 9, "calico_t_auto": 7,
                      "calico_t_bool": True, "calico_t_list": ["a", "b"], "calico_t_dict": {"k": 1}, "calico_t_optional": None}


@pytest.mark.parametrize("name, raw, expected", [
    ("calico_t_str", True, "a string"), ("calico_t_str", ["x"], "a string"), ("calico_t_path", {}, "a string"),
    ("calico_t_version", ["1.30"], "a quoted string"),
    ("calico_t_version", True, "a quoted string"), ("calico_t_int", "nine", "an integer"), ("calico_t_int", True, "an integer"),
    ("calico_t_auto", "automatic", "an integer or 'auto'"), ("calico_t_bool", "maybe", "true or false"),
    ("calico_t_list", "a,b", "a list"), ("calico_t_dict", ["k"], "a mapping"),
])
def test_wrong_type_is_refused_and_the_default_kept(name, raw, expected):
    values, errors = load(TYPED, **{name: raw})
    assert errors == ["%s: must be %s, got %r. Fix: set %s to %s." % (name, expected, raw, name, expected)]
    assert values[name] == next(v.default for v in TYPED if v.name == name)


def test_empty_string_is_unset_only_for_optional_variables():
    values, errors = load(TYPED, calico_t_str="")
    assert values["calico_t_str"] == "" and errors == []


@pytest.mark.parametrize("raw, ok", [(1, True), (9, True), (0, False), (10, False)])
def test_bounds_are_inclusive(raw, ok):
    values, errors = load(TYPED, calico_t_int=raw)
    assert (values["calico_t_int"], errors) == ((raw, []) if ok else (3, ["calico_t_int: is %d, outside 1..9. Fix: use a value in 1..9." % raw]))


def test_list_choices_apply_to_each_element_and_the_value_is_kept():
    var = Var("calico_t_kinds", ("cluster",), "list", "", default=["a"], choices=("a", "b"))
    values, errors = load((var,), calico_t_kinds=["a", "c", "d"])
    assert errors == ["calico_t_kinds: is 'c', not one of: a, b. Fix: pick one of a, b."] and values["calico_t_kinds"] == ["a", "c", "d"]
    assert load((var,), calico_t_kinds=["b", "a"]) == ({"calico_t_kinds": ["b", "a"]}, [])


def test_integer_choices_are_listed_as_text():
    var = Var("calico_t_size", ("cluster",), "int", "", default=1, choices=(1, 2))
    assert load((var,), calico_t_size=3)[1] == ["calico_t_size: is 3, not one of: 1, 2. Fix: pick one of 1, 2."]


@pytest.mark.parametrize("minimum, maximum, text", [(1, 9, "1..9"), (1, None, ">= 1"), (None, 9, "<= 9"), (None, None, "")])
def test_bounds_text(minimum, maximum, text):
    var = Var("calico_t", ("cluster",), "int", "", minimum=minimum, maximum=maximum)
    assert schema.bounds_text(var) == text


def test_only_an_upper_bound():
    var = Var("calico_t", ("cluster",), "int", "", default=0, maximum=9)
    assert load((var,), calico_t=-50) == ({"calico_t": -50}, [])
    assert load((var,), calico_t=10)[1] == ["calico_t: is 10, outside <= 9. Fix: use a value in <= 9."]


def test_version_numbers_name_the_release_meant():
    calico = schema.BY_NAME["calico_version"]
    kubernetes = schema.BY_NAME["calico_kubernetes_version"]
    assert schema.version_meant(calico, 3.3) == "3.30.7" and schema.version_meant(calico, 3.32) == "3.32.1"
    assert schema.version_meant(calico, 2.9) == "2.9"
    assert schema.version_meant(kubernetes, 1.3) == "1.30" and schema.version_meant(kubernetes, 1.25) == "1.25"
    assert schema.version_meant(kubernetes, 1.37) == "1.37" and schema.version_meant(kubernetes, 1.38) == "1.38"


# --- names --------------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, distance", [
    ("", "", 0), ("", "ab", 2), ("ab", "", 2), ("a", "b", 1), ("ab", "ba", 1), ("abc", "acb", 1), ("abcd", "badc", 2),
    ("kitten", "sitting", 3), ("ca", "abc", 3),  # optimal string alignment: no edit of a transposed pair (3, not 2)
])
def test_edit_distance_is_optimal_string_alignment(a, b, distance):
    assert schema.edit_distance(a, b, limit=9) == distance


def test_edit_distance_stops_above_the_limit():
    assert schema.edit_distance("kitten", "sitting") == 3  # limit 2: limit + 1
    assert schema.edit_distance("abcdef", "ghijkl", limit=3) == 4
    assert schema.edit_distance("abc", "abcdef", limit=2) == 3  # lengths alone say more than the limit
    assert schema.edit_distance("abc", "abcde", limit=2) == 2


@pytest.mark.parametrize("places, text", [
    (["a"], "a"), (["a", "b", "c"], "a, b, c"), (["a", "b", "c", "d"], "a, b, c and 1 more"), ([], ""),
])
def test_where_shows_three_places(places, text):
    assert schema._where(places) == text


def test_closest_names_all_at_the_best_distance_sorted():
    assert schema._closest("calico_ab", ["calico_ac", "calico_aa", "calico_abcd", "other_ab"]) == ["calico_aa", "calico_ac"]
    assert schema._closest("calico_xyz", ["calico_abc"]) == []
    assert schema._closest("calico_x", []) == []


def test_unknown_name_set_nowhere_known_is_said_to_be_in_the_inventory():
    findings = Findings()
    schema.check_set_names({"calico_site_owner": []}, [], findings)
    assert [str(w) for w in findings.warnings] == [
        "calico_allowed_extra_vars: 1 variable(s) set in the inventory or extra vars are not read by onprem.calico: "
        "calico_site_owner (the inventory). Fix: remove them, fix their names (docs/inventory.md), or list the site's own in "
        "calico_allowed_extra_vars."
    ]


def test_typo_with_two_candidates_names_both():
    findings = Findings()
    variables = (Var("calico_ab", ("cluster",), "str", ""), Var("calico_ad", ("cluster",), "str", ""))
    schema.check_set_names({"calico_ac": ["extra vars"]}, [], findings, variables)
    assert [str(e) for e in findings.errors] == [
        "calico_ac: is not a variable of onprem.calico (set in extra vars). Did you mean calico_ab or calico_ad? Fix: rename it to "
        "calico_ab, or list it in calico_allowed_extra_vars if it is the site's own."
    ]


def test_scope_names_and_role_entry_points():
    var = Var("calico_t", ("cluster", "role:calico_tor", "role:calico_bgp:verify"), "str", "")
    assert var.in_scope("cluster") and not var.in_scope("node") and not var.in_scope("role")
    assert var.roles() == [("calico_tor", "main"), ("calico_bgp", "verify")]
    assert schema.names("router")[:1] and all(schema.BY_NAME[n].in_scope("router") for n in schema.names("router"))
    assert "calico_asn" in schema.names("cluster") and "calico_asn" not in schema.names("node")


# --- AWX survey ---------------------------------------------------------------------------------

SURVEYED = (
    Var("calico_s_text", ("cluster",), "str", "The C(name) of O(calico_x), I(see) B(bold) V(v) M(m) E(e) P(p).", default="abc"),
    Var("calico_s_flag", ("cluster",), "bool", "A flag.", default=True),
    Var("calico_s_mode", ("cluster",), "str", "A mode.", default="a", choices=("a", "b")),
    Var("calico_s_count", ("cluster",), "int", "A count.", default=2, minimum=1),
    Var("calico_s_any", ("cluster",), "int", "Any.", default=0),
    Var("calico_s_asn", ("cluster",), "int", "An AS.", default=64512, minimum=1, maximum=4294967295),
    Var("calico_s_edge", ("cluster",), "int", "Edge.", default=0, minimum=-(2 ** 31) + 1, maximum=2 ** 31 - 1),
    Var("calico_s_mtu", ("cluster",), "int_or_auto", "MTU.", default_text="auto, from the interface"),
    Var("calico_s_unset", ("cluster",), "str", "Unset."),
    Var("calico_s_empty", ("cluster",), "str", "Empty.", default=""),
    Var("calico_s_secret", ("cluster",), "str", "Secret.", secret=True),
    Var("calico_s_list", ("cluster",), "list", "List.", default=[]),
    Var("calico_s_node", ("node",), "str", "Node."),
)


def test_survey_asks_for_cluster_scalars_that_are_not_secret():
    assert [v.name for v in schema.survey_vars(SURVEYED)] == [
        "calico_s_text", "calico_s_flag", "calico_s_mode", "calico_s_count", "calico_s_any", "calico_s_asn", "calico_s_edge", "calico_s_mtu",
        "calico_s_unset", "calico_s_empty"]


def test_survey_spec_questions():
    spec = schema.survey_spec(SURVEYED)
    assert spec["name"] == "onprem.calico cluster variables"
    assert spec["description"] == ("Generated from plugins/plugin_utils/input_schema.py by tools/gen_docs.py; leave a question empty to keep "
                                   "the inventory's value.")
    questions = {q["variable"]: q for q in spec["spec"]}
    assert questions["calico_s_text"] == {
        "question_name": "calico_s_text", "variable": "calico_s_text", "type": "text", "required": False,
        "question_description": "The name of calico_x, see bold v m e p. Empty: the inventory's value, else abc.",
    }
    assert questions["calico_s_flag"] == {
        "question_name": "calico_s_flag", "variable": "calico_s_flag", "type": "multiplechoice", "required": False,
        "choices": ["true", "false"], "question_description": "A flag. Empty: the inventory's value, else true.",
    }
    assert (questions["calico_s_mode"]["type"], questions["calico_s_mode"]["choices"]) == ("multiplechoice", ["a", "b"])
    assert {k: questions["calico_s_count"][k] for k in ("type", "min", "max")} == {"type": "integer", "min": 1, "max": 2 ** 31 - 1}
    assert {k: questions["calico_s_any"][k] for k in ("type", "min", "max")} == {"type": "integer", "min": -(2 ** 31), "max": 2 ** 31 - 1}
    assert {k: questions["calico_s_edge"][k] for k in ("type", "min", "max")} == {"type": "integer", "min": -(2 ** 31) + 1, "max": 2 ** 31 - 1}
    # AWX integer questions are 32-bit: a 4-byte AS number is asked as text, without bounds.
    assert questions["calico_s_asn"]["type"] == "text" and "min" not in questions["calico_s_asn"] and "max" not in questions["calico_s_asn"]
    assert questions["calico_s_mtu"]["type"] == "text"
    assert questions["calico_s_mtu"]["question_description"] == "MTU. Empty: the inventory's value, else auto, from the interface."
    assert questions["calico_s_unset"]["question_description"] == "Unset. Empty: the inventory's value, else unset."
    assert questions["calico_s_empty"]["question_description"] == "Empty. Empty: the inventory's value, else unset."
    assert not any("default" in q for q in spec["spec"])


@pytest.mark.parametrize("minimum, maximum, fits", [
    (None, None, True), (-(2 ** 31) + 1, 2 ** 31 - 1, True), (None, 2 ** 31, False), (-(2 ** 31), None, False), (1, 4294967295, False),
])
def test_survey_integer_bounds_fit_32_bits(minimum, maximum, fits):
    assert schema.survey_int_bounds_fit(Var("calico_t", ("cluster",), "int", "", minimum=minimum, maximum=maximum)) is fits
