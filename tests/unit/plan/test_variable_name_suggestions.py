"""Typo suggestions for unknown calico_* names and the AWX survey bounds, at their edges: the
Damerau-Levenshtein distance (optimal string alignment) up to its limit of 2, a name exactly two
edits away, several typos in one inventory, and the survey's shown defaults and integer ranges
(docs/inventory.md states the ranges)."""

from ansible_collections.onprem.calico.plugins.plugin_utils import input_schema as schema
from ansible_collections.onprem.calico.plugins.plugin_utils.preflight import Findings


def check(set_names):
    findings = Findings()
    schema.check_set_names(set_names, (), findings)
    return [str(e) for e in findings.errors], [str(w) for w in findings.warnings]


def question(name):
    return [q for q in schema.survey_spec()["spec"] if q["variable"] == name][0]


def test_one_extra_letter_is_one_edit():
    assert schema.edit_distance("calico_asnn", "calico_asn") == 1
    assert schema.edit_distance("calico_asn", "calico_asnn") == 1


def test_a_distance_equal_to_the_limit_is_returned_as_is():
    assert schema.edit_distance("calico_asnxy", "calico_asn") == 2
    assert schema.edit_distance("calico_asnxyz", "calico_asn") == 3  # above the limit: limit + 1
    assert schema.edit_distance("calico_asnxy", "calico_asn", limit=1) == 2


def test_a_name_two_edits_away_is_still_suggested():
    errors, warnings = check({"calico_tor_platfo": ["extra vars"]})
    assert len(errors) == 1 and "Did you mean calico_tor_platform?" in errors[0], errors
    assert warnings == []


def test_every_typo_of_an_inventory_is_reported():
    errors = check({"calico_encapsulaton": ["extra vars"], "calico_tor_platfrom": ["extra vars"]})[0]
    assert [e.split(":", 1)[0] for e in errors] == ["calico_encapsulaton", "calico_tor_platfrom"]
    assert "Did you mean calico_tor_platform?" in errors[1]


def test_survey_shows_a_text_default_as_written():
    # The object prefix must be upper case (the plan refuses lower case): the survey shows CALICO-.
    assert question("calico_tor_object_prefix")["question_description"].endswith(" Empty: the inventory's value, else CALICO-.")


def test_survey_integer_questions_carry_the_documented_range():
    q = question("calico_rack_pool_prefix_length")  # docs/inventory.md: 1..32
    assert (q["type"], q["min"], q["max"]) == ("integer", 1, 32)
    q = question("calico_block_size")  # Calico IPPool blockSize for IPv4: 20..32
    assert (q["min"], q["max"]) == (20, 32)
