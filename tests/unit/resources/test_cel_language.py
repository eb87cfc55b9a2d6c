"""The CEL subset against the CEL language definition (github.com/google/cel-spec, langdef.md):
precedence (``!`` binds tighter than ``==``, which binds tighter than ``&&``, then ``||``), the
commutative error handling of ``&&``/``||`` (an error on one side is absorbed when the other side
decides), ``has()`` as a presence test, ``size()`` of strings and lists, and ``check()``'s paths and
messages as the Kubernetes API server words them (field path, then the rule's message)."""

from __future__ import annotations

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import cel


@pytest.mark.parametrize("rule, value, expected", [
    # literals: strings, ints, booleans
    ("self == 'abc'", "abc", True),
    ("self == 'abc'", "abd", False),
    ("self == 42", 42, True),
    ("self == 42", 4, False),
    ("self == 0", 0, True),
    ("self == false", False, True),
    ("self == true", False, False),
    ("self != true", False, True),
    ("self != 'x'", "x", False),
    # both sides may read the object
    ("self.a == self.b", {"a": 1, "b": 1}, True),
    ("self.a == self.b", {"a": 1, "b": 2}, False),
    ("self.a != self.b", {"a": 1, "b": 2}, True),
    ("self.a != self.b", {"a": 2, "b": 2}, False),
    ("self.s.contains(self.t)", {"s": "abc", "t": "bc"}, True),
    ("self.s.contains(self.t)", {"s": "abc", "t": "cb"}, False),
    ("true", None, True),
    ("false", None, False),
    # a string literal that spells an operator is still a string
    ("self == '!'", "!", True),
    ("'!' == self", "!", True),
    ("self == '||'", "||", True),
    ("self == 'a b'", "a b", True),
    ("self == ''", "", True),
    # whitespace, trailing included, is not significant
    ("  self   ==   'x'   ", "x", True),
    ("self=='x'", "x", True),
    # precedence
    ("!false == true", None, True),
    ("true || false && false", None, True),
    ("(true || false) && false", None, False),
    ("false && true || true", None, True),
    ("!(true && false)", None, True),
    ("!!true", None, True),
    ("!true || !false", None, True),
    ("true && true && false", None, False),
    ("false || false || true", None, True),
    ("false || false || false", None, False),
    ("true && true && true", None, True),
    # fields, presence, size
    ("self.a.b == 1", {"a": {"b": 1}}, True),
    ("has(self.a)", {"a": None}, True),
    ("has(self.a)", {"b": 1}, False),
    ("has(self.a.b)", {"a": {"b": 1}}, True),
    ("has(self.a.b)", {"a": {"c": 1}}, False),
    ("has(self.a)", "a string", False),
    ("size(self) == 3", "abc", True),
    ("size(self) == 2", ["x", "y"], True),
    ("size(self.l) == 0", {"l": []}, True),
    ("size(self.l) == 1", {"l": []}, False),
    # string contains, list exists
    ("self.contains('b')", "abc", True),
    ("self.contains('d')", "abc", False),
    ("self.contains(self)", "abc", True),
    ("self.exists(x, x == 2)", [1, 2, 3], True),
    ("self.exists(x, x == 4)", [1, 2, 3], False),
    ("self.exists(x, x == 4)", [], False),
    ("self.exists(p, p.n == 'a' && p.v == 1)", [{"n": "a", "v": 2}, {"n": "a", "v": 1}], True),
    ("self.exists(p, p.n == 'a' && p.v == 1)", [{"n": "b", "v": 1}, {"n": "a", "v": 2}], False),
    ("self.l.exists(x, x == self.want)", {"l": ["a", "b"], "want": "b"}, True),
    ("self.l.exists(x, x == self.want)", {"l": ["a", "b"], "want": "c"}, False),
])
def test_the_subset_evaluates_as_cel_defines(rule, value, expected):
    assert cel.evaluate(rule, value) is expected


@pytest.mark.parametrize("rule, value, expected", [
    # CEL's && and || are commutative over errors: the deciding side wins wherever it stands.
    ("self.missing == 1 || true", {}, True),
    ("true || self.missing == 1", {}, True),
    ("self.missing == 1 && false", {}, False),
    ("false && self.missing == 1", {}, False),
])
def test_an_error_on_the_side_that_does_not_decide_is_absorbed(rule, value, expected):
    assert cel.evaluate(rule, value) is expected


@pytest.mark.parametrize("rule, value, message", [
    ("self.missing == 1 || false", {}, "no such key: missing"),
    ("false || self.missing == 1", {}, "no such key: missing"),
    ("self.missing == 1 && true", {}, "no such key: missing"),
    ("true && self.missing == 1", {}, "no such key: missing"),
    ("self.a.b == 1", {"a": "text"}, "no such key: b"),
    ("self", 3, "not a boolean: 3"),
    ("self || false", "yes", "not a boolean: 'yes'"),
    ("!self", 1, "not a boolean: 1"),
    ("self.exists(x, x)", [1], "not a boolean: 1"),
])
def test_errors_that_nothing_absorbs_are_evaluation_errors(rule, value, message):
    with pytest.raises(cel.EvalError) as raised:
        cel.evaluate(rule, value)
    assert str(raised.value) == message


@pytest.mark.parametrize("rule, message", [
    ("self == oldSelf", "transition rule (oldSelf)"),
    ("self.matches('a')", "method matches()"),
    ("has(self)", "has() needs a field"),
    ("self == 1 1", "trailing input"),
    ("self == 'x' )", "trailing input"),
    ("self.a == 1 + 22222222222", "cannot read ' + 2222222'"),  # the first ten characters it cannot read
    ("self.size() == 1", "method size()"),
    ("self.'a' == 1", "field name expected"),
    ("(self == 1", "expected ')'"),
    ("self.exists(x x)", "expected ','"),
    ("size(self", "expected ')'"),
    ("self.contains('a'", "expected ')'"),
    ("self.exists(x, x == 1", "expected ')'"),
    ("self ==", "expected None"),
    ("== 1", "unexpected '=='"),
    ("other == 1", "unknown name other"),
    ("x == 1", "unknown name x"),
])
def test_cel_outside_the_subset_is_named_not_guessed(rule, message):
    with pytest.raises(cel.Unsupported) as raised:
        cel.evaluate(rule, {"a": 1})
    assert str(raised.value) == message


def test_the_exists_variable_is_only_bound_inside_its_body():
    with pytest.raises(cel.Unsupported):
        cel.evaluate("self.exists(x, x == 1) && x == 1", [1])


SCHEMA = {
    "type": "object",
    "x-kubernetes-validations": [
        {"rule": "!has(self.a) || !has(self.b)", "message": "a and b cannot both be set"},
        {"rule": "self == oldSelf"},
    ],
    "properties": {
        "spec": {
            "type": "object",
            "x-kubernetes-validations": [{"rule": "self.mode != 'Bad'"}],
            "properties": {
                "items": {
                    "type": "array",
                    "items": {"type": "object", "x-kubernetes-validations": [
                        {"rule": "self.port != 0", "message": "port must not be 0"}]},
                },
                "size": {"type": "integer", "x-kubernetes-validations": [{"rule": "self.x == 1", "message": "never"}]},
            },
        },
        "untouched": {"type": "object", "x-kubernetes-validations": [{"rule": "false", "message": "only when present"}]},
    },
}


def test_check_reports_every_violation_with_its_path_and_message():
    value = {"a": 1, "b": 2, "spec": {"mode": "Bad", "items": [{"port": 1}, {"port": 0}, {"port": 0}]}}
    violations, skipped = cel.check(SCHEMA, value)
    assert violations == [
        "(object): a and b cannot both be set",
        "spec: self.mode != 'Bad'",  # no message: the rule itself is shown
        "spec.items[1]: port must not be 0",
        "spec.items[2]: port must not be 0",
    ]
    assert skipped == ["self == oldSelf"]


def test_check_of_a_valid_object_and_a_rule_that_cannot_run():
    assert cel.check(SCHEMA, {"a": 1, "spec": {"mode": "Good", "items": [{"port": 179}]}}) == ([], ["self == oldSelf"])
    violations, _skipped = cel.check(SCHEMA, {"spec": {"mode": "Good", "size": 3}})
    assert violations == ["spec.size: rule 'self.x == 1' cannot be evaluated: no such key: x"]
    violations, _skipped = cel.check(SCHEMA, {"spec": {}})
    assert violations == ["spec: rule \"self.mode != 'Bad'\" cannot be evaluated: no such key: mode"]


def test_check_starts_from_the_path_it_is_given():
    violations, _skipped = cel.check(SCHEMA["properties"]["spec"], {"mode": "Bad", "items": [{"port": 0}]}, "spec")
    assert violations == ["spec: self.mode != 'Bad'", "spec.items[0]: port must not be 0"]


def test_check_without_rules_or_schema():
    assert cel.check({}, {"a": 1}) == ([], [])
    assert cel.check(True, {"a": 1}) == ([], [])  # JSON schema allows a boolean schema
    # items without a schema, and a list where the schema has properties: nothing to check
    assert cel.check({"type": "array"}, [1, 2]) == ([], [])
    assert cel.check({"properties": {"a": {"x-kubernetes-validations": [{"rule": "false"}]}}}, [{"a": 1}]) == ([], [])


def test_a_top_level_rule_that_cannot_run_is_reported_on_the_object():
    schema = {"x-kubernetes-validations": [{"rule": "self.n == 1", "message": "n must be 1"}]}
    assert cel.check(schema, {}) == (["(object): rule 'self.n == 1' cannot be evaluated: no such key: n"], [])
