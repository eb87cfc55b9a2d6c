"""Which names the CEL subset reads as calls (cel-spec langdef.md): only ``has`` and ``size``, and
only where a ``(`` follows them. Neither is a reserved word, so both may also name a comprehension
variable; any other function (the Kubernetes CEL library's ``isCIDR``, which upstream's IPPool CRD
uses) is outside the subset. CEL type-checks a whole rule before it runs it, so an unknown function
makes the rule unsupported even where the other side of ``||`` would decide."""

from __future__ import annotations

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import cel


def test_an_unknown_function_makes_the_whole_rule_unsupported():
    with pytest.raises(cel.Unsupported):
        cel.evaluate("self.a == 1 || isCIDR(self.b)", {"a": 1, "b": "10.0.0.0/8"})
    with pytest.raises(cel.Unsupported):
        cel.evaluate("self.a == 2 && isCIDR(self.b)", {"a": 1, "b": "10.0.0.0/8"})


def test_a_rule_with_an_unknown_function_is_listed_as_not_evaluated():
    schema = {"type": "string", "x-kubernetes-validations": [{"rule": "isCIDR(self)", "message": "not a CIDR"}]}
    assert cel.check(schema, "not-a-cidr") == ([], ["isCIDR(self)"])


@pytest.mark.parametrize("rule, value, expected", [
    ("self.exists(size, size == 2)", [1, 2], True),
    ("self.exists(size, size == 3)", [1, 2], False),
    ("self.exists(has, has == 'x')", ["y", "x"], True),
    ("self.exists(size, size(size) == 2)", ["a", "bb"], True),
])
def test_has_and_size_are_calls_only_before_a_parenthesis(rule, value, expected):
    assert cel.evaluate(rule, value) is expected
