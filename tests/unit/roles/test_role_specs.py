"""Every role's defaults agree with its meta/argument_specs.yml, and the spec is complete.

The spec is what Ansible validates role variables against and what the role READMEs are
generated from (tools/role_docs.py); defaults/main.yml is what the role actually uses. They
must say the same thing: every default documented with the same value, every option with a
spec default present in the defaults, and the defaults valid under the spec as Ansible's own
validator sees it.
"""

import os

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from testpaths import REPO

ROLES_DIR = os.path.join(REPO, "roles")
ROLES = sorted(r for r in os.listdir(ROLES_DIR) if os.path.isdir(os.path.join(ROLES_DIR, r))) if os.path.isdir(ROLES_DIR) else []
# Keys of an option that are documentation, not validation (ArgumentSpecValidator rejects them).
DOC_ONLY_KEYS = {"description", "version_added"}


def load_yaml(*parts):
    path = os.path.join(ROLES_DIR, *parts)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def entry_points(role):
    spec = load_yaml(role, "meta", "argument_specs.yml")
    assert spec and spec.get("argument_specs"), "roles/%s/meta/argument_specs.yml is missing or empty" % role
    return spec["argument_specs"]


def defaults_for(role, entry):
    """Ansible loads defaults/<entry>.yml for tasks_from=<entry> when it exists, else defaults/main.yml."""
    data = load_yaml(role, "defaults", "%s.yml" % entry)
    if data is None:
        data = load_yaml(role, "defaults", "main.yml")
    return data or {}


_UNRENDERABLE = object()


def out_of_the_box(defaults):
    """Each default as the role sees it when the inventory sets nothing.

    A templated default ("{{ calico_x | default('') }}") is rendered with only the role's other
    defaults available; one that needs more than that cannot be rendered here.
    """
    templar = Templar(loader=DataLoader(), variables=dict(defaults))
    out = {}
    for name, value in defaults.items():
        if isinstance(value, str) and "{{" in value:
            try:
                out[name] = templar.template(trust_as_template(value))
            except Exception:  # pylint: disable=broad-exception-caught  # undefined variable: documented by hand
                out[name] = _UNRENDERABLE
        else:
            out[name] = value
    return out


def validator_spec(options):
    """The options without documentation keys, recursively, as ArgumentSpecValidator takes them."""
    out = {}
    for name, spec in options.items():
        spec = {k: v for k, v in (spec or {}).items() if k not in DOC_ONLY_KEYS}
        if "options" in spec:
            spec["options"] = validator_spec(spec["options"])
        out[name] = spec
    return out


def each_option(options, prefix=""):
    for name, spec in sorted(options.items()):
        yield prefix + name, spec or {}
        if (spec or {}).get("options"):
            yield from each_option(spec["options"], prefix + name + ".")


def test_there_are_roles_to_check():
    assert ROLES, "no roles found under %s" % ROLES_DIR


@pytest.mark.parametrize("role", ROLES)
def test_every_role_has_a_spec_with_main(role):
    assert "main" in entry_points(role)


@pytest.mark.parametrize("role", ROLES)
def test_defaults_and_spec_agree(role):
    problems = []
    for entry, ep in entry_points(role).items():
        options = ep.get("options") or {}
        defaults = defaults_for(role, entry)
        effective = out_of_the_box(defaults)
        # defaults/main.yml serves every entry point without a defaults file of its own; only
        # the entry point that owns the file must document all of it.
        owns_file = entry == "main" or load_yaml(role, "defaults", "%s.yml" % entry) is not None
        for var, value in defaults.items():
            if var not in options and not owns_file:
                continue
            if var not in options:
                problems.append("%s: default %s is not documented in the spec" % (entry, var))
                continue
            spec = options[var] or {}
            if spec.get("required"):
                problems.append("%s: %s is required in the spec but has a default" % (entry, var))
            elif "default" not in spec and value is not None:  # no spec default means null
                problems.append("%s: %s has default %r but the spec gives none" % (entry, var, value))
            elif effective[var] is _UNRENDERABLE:
                if "default" in spec and spec["default"] != value:
                    problems.append("%s: %s defaults to %r; the spec must give that template or no default"
                                    % (entry, var, value))
            elif spec.get("default") != effective[var] and spec.get("default") != value:
                problems.append("%s: %s defaults to %r but the spec says %r" % (entry, var, effective[var], spec.get("default")))
        for var, spec in options.items():
            if spec and "default" in spec and var not in defaults:
                problems.append("%s: spec default of %s (%r) is not in defaults" % (entry, var, spec["default"]))
    assert not problems, "roles/%s:\n  %s" % (role, "\n  ".join(problems))


@pytest.mark.parametrize("role", ROLES)
def test_spec_options_are_complete(role):
    """types on every option, elements on lists, a description, defaults inside choices."""
    problems = []
    for entry, ep in entry_points(role).items():
        if not ep.get("short_description"):
            problems.append("%s: no short_description" % entry)
        for name, spec in each_option(ep.get("options") or {}):
            if "type" not in spec:
                problems.append("%s: %s has no type" % (entry, name))
            if spec.get("type") == "list" and "elements" not in spec:
                problems.append("%s: list %s has no elements" % (entry, name))
            if not spec.get("description"):
                problems.append("%s: %s has no description" % (entry, name))
            if spec.get("required") and "default" in spec:
                problems.append("%s: %s is required and has a default" % (entry, name))
            if "choices" in spec and "default" in spec:
                # For a list, Ansible checks every element against the choices.
                values = spec["default"] if spec.get("type") == "list" else [spec["default"]]
                if any(v not in spec["choices"] for v in values or []):
                    problems.append("%s: default %r of %s is not one of its choices" % (entry, spec["default"], name))
    assert not problems, "roles/%s:\n  %s" % (role, "\n  ".join(problems))


@pytest.mark.parametrize("role", ROLES)
def test_defaults_pass_ansibles_validator(role):
    """The defaults, validated by the same code Ansible runs on role arguments, change nothing.

    Templated defaults are validated as they render when the inventory sets nothing (Ansible
    templates before it validates); required options are left out: the caller supplies them.
    """
    for entry, ep in entry_points(role).items():
        options = ep.get("options") or {}
        defaults = {k: v for k, v in out_of_the_box(defaults_for(role, entry)).items()
                    if v is not _UNRENDERABLE and k in options}
        spec = validator_spec({k: v for k, v in options.items() if not (v or {}).get("required")})
        result = ArgumentSpecValidator(spec).validate(defaults)
        assert not result.error_messages, "roles/%s %s: %s" % (role, entry, result.error_messages)
        converted = {k: result.validated_parameters[k] for k in defaults}
        assert converted == defaults, "roles/%s %s: defaults change type under the spec: %s" % (
            role, entry, {k: (defaults[k], converted[k]) for k in defaults if defaults[k] != converted[k]})
