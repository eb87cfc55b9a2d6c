"""The subset of CEL that Calico's CRD validation rules use, so rendered objects meet them offline.

Kubernetes evaluates ``x-kubernetes-validations`` rules (CEL) on the server. Calico's CRDs use a
small part of the language: ``has()``, ``size()``, field access on ``self``, string/int/bool
literals, ``==`` ``!=`` ``!`` ``&&`` ``||``, parentheses, ``.contains()`` on strings and
``.exists(x, ...)`` on lists. This module parses exactly that; a rule using anything else, or
a transition rule (``oldSelf``, which needs the stored object: the drift logic covers those for
pools), is reported as not evaluated instead of guessed.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\s*(?:(\|\||&&|==|!=|[!().,])|'([^']*)'|(\d+)|([A-Za-z_][A-Za-z0-9_]*))")


class Unsupported(Exception):
    """The rule uses CEL this subset does not implement."""


class EvalError(Exception):
    """The rule failed to evaluate on this object (Kubernetes rejects the object then)."""


def _tokens(rule: str) -> list[tuple[str, object]]:
    out, pos = [], 0
    rule = rule.rstrip()
    while pos < len(rule):
        match = _TOKEN.match(rule, pos)
        if not match:
            raise Unsupported("cannot read %r" % rule[pos:pos + 10])
        op, string, number, ident = match.groups()
        if op:
            out.append(("op", op))
        elif string is not None:
            out.append(("lit", string))
        elif number is not None:
            out.append(("lit", int(number)))
        elif ident in ("true", "false"):
            out.append(("lit", ident == "true"))
        else:
            out.append(("id", ident))
        pos = match.end()
    return out


class _Parser:
    """Recursive descent over the subset; produces nested tuples evaluated by ``_eval``."""

    def __init__(self, rule: str):
        self.toks = _tokens(rule)
        self.i = 0

    def peek(self, value=None):
        if self.i >= len(self.toks):
            return None
        tok = self.toks[self.i]
        return tok if value is None or tok[1] == value else None

    def take(self, value=None):
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise Unsupported("expected %r" % (value,))
        self.i += 1
        return tok

    def parse(self):
        node = self.or_()
        if self.i != len(self.toks):
            raise Unsupported("trailing input")
        return node

    def or_(self):
        node = self.and_()
        while self.peek("||"):
            self.take()
            node = ("or", node, self.and_())
        return node

    def and_(self):
        node = self.unary()
        while self.peek("&&"):
            self.take()
            node = ("and", node, self.unary())
        return node

    def unary(self):
        if self.peek("!") and self.toks[self.i][0] == "op":
            self.take()
            return ("not", self.unary())
        node = self.postfix()
        for op in ("==", "!="):
            if self.peek(op):
                self.take()
                return (op, node, self.postfix())
        return node

    def postfix(self):
        node = self.primary()
        while self.peek("."):
            self.take()
            name = self.take()
            if name[0] != "id":
                raise Unsupported("field name expected")
            if self.peek("("):
                self.take()
                if name[1] == "contains":
                    arg = self.or_()
                    self.take(")")
                    node = ("contains", node, arg)
                elif name[1] == "exists":
                    var = self.take()[1]
                    self.take(",")
                    body = self.or_()
                    self.take(")")
                    node = ("exists", node, var, body)
                else:
                    raise Unsupported("method %s()" % name[1])
            else:
                node = ("field", node, name[1])
        return node

    def primary(self):
        tok = self.take()
        if tok == ("op", "("):
            node = self.or_()
            self.take(")")
            return node
        if tok[0] == "lit":
            return ("lit", tok[1])
        if tok[0] != "id":
            raise Unsupported("unexpected %r" % (tok[1],))
        if tok[1] in ("has", "size") and self.peek("("):
            self.take()
            arg = self.or_()
            self.take(")")
            if tok[1] == "has" and arg[0] != "field":
                raise Unsupported("has() needs a field")
            return (tok[1], arg)
        if tok[1] == "oldSelf":
            raise Unsupported("transition rule (oldSelf)")
        return ("var", tok[1])


def _eval(node, env):
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "var":
        if node[1] not in env:
            raise Unsupported("unknown name %s" % node[1])
        return env[node[1]]
    if kind == "field":
        target = _eval(node[1], env)
        if not isinstance(target, dict) or node[2] not in target:
            raise EvalError("no such key: %s" % node[2])
        return target[node[2]]
    if kind == "has":
        target = _eval(node[1][1], env)
        return isinstance(target, dict) and node[1][2] in target
    if kind == "size":
        return len(_eval(node[1], env))
    if kind == "not":
        return not _truth(_eval(node[1], env))
    if kind == "or":  # CEL's || and && tolerate an error on the side that does not decide
        return _short(node, env, True)
    if kind == "and":
        return _short(node, env, False)
    if kind == "==":
        return _eval(node[1], env) == _eval(node[2], env)
    if kind == "!=":
        return _eval(node[1], env) != _eval(node[2], env)
    if kind == "contains":
        return str(_eval(node[2], env)) in str(_eval(node[1], env))
    if kind == "exists":
        items = _eval(node[1], env)
        return any(_truth(_eval(node[3], dict(env, **{node[2]: item}))) for item in items)
    raise Unsupported(kind)


def _truth(value):
    if not isinstance(value, bool):
        raise EvalError("not a boolean: %r" % (value,))
    return value


def _short(node, env, decisive):
    error = None
    for side in (node[1], node[2]):
        try:
            if _truth(_eval(side, env)) is decisive:
                return decisive
        except EvalError as exc:
            error = exc
    if error is not None:
        raise error
    return not decisive


def evaluate(rule: str, value) -> bool:
    """Whether ``value`` (bound to ``self``) satisfies ``rule``.

    Raises Unsupported for CEL outside the subset (and transition rules), EvalError when the
    rule cannot be evaluated on the value.
    """
    return _truth(_eval(_Parser(rule).parse(), {"self": value}))


def check(schema: dict, value, path: str = "") -> tuple[list[str], list[str]]:
    """Every CEL rule of ``schema`` (at any depth) on ``value``: (violations, rules not evaluated)."""
    violations, skipped = [], []
    if not isinstance(schema, dict):
        return violations, skipped
    for rule in schema.get("x-kubernetes-validations") or []:
        try:
            if not evaluate(rule["rule"], value):
                violations.append("%s: %s" % (path or "(object)", rule.get("message") or rule["rule"]))
        except Unsupported:
            skipped.append(rule["rule"])
        except EvalError as exc:
            violations.append("%s: rule %r cannot be evaluated: %s" % (path or "(object)", rule["rule"], exc))
    if isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if name in value:
                more, skip = check(sub, value[name], (path + "." if path else "") + name)
                violations += more
                skipped += skip
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            more, skip = check(schema["items"], item, "%s[%d]" % (path, index))
            violations += more
            skipped += skip
    return violations, skipped
