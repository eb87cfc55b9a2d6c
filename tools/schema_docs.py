"""Everything made from the input schema (plugins/plugin_utils/input_schema.py).

- docs/inventory.md: the variable reference between the markers (the prose around them is
  hand-written and kept);
- roles/*/meta/argument_specs.yml: the ``options`` of every entry point (short_description,
  description and author of the entry points are hand-written and kept);
- docs/awx/survey.json: the AWX survey of the scalar cluster variables.

`tools/gen_docs.py --check` (make docs-check) fails when a committed file differs.
"""

from __future__ import annotations

import json
import os

import yaml

from ansible_collections.onprem.calico.plugins.plugin_utils import input_schema
from ansible_collections.onprem.calico.plugins.plugin_utils.input_schema import VARIABLES, Var

import role_docs

INVENTORY_DOC = os.path.join("docs", "inventory.md")
SURVEY = os.path.join("docs", "awx", "survey.json")
BEGIN = ("<!-- BEGIN generated from plugins/plugin_utils/input_schema.py by tools/schema_docs.py: edit the schema, "
         "then run `make docs` -->")
END = "<!-- END generated from plugins/plugin_utils/input_schema.py -->"

# How argument specs name the schema's types.
_SPEC_TYPES = {"str": "str", "path": "path", "version": "str", "int": "int", "bool": "bool", "list": "list", "dict": "dict",
               "int_or_auto": "raw"}


# --- docs/inventory.md -----------------------------------------------------------------------


def _value(value) -> str:
    return role_docs._yaml_value(value)  # pylint: disable=protected-access  # one YAML-in-Markdown style for all docs


def _shown(var: Var, value) -> str:
    """A value as YAML; versions always double-quoted, as they must be written."""
    if var.type == "version":
        return '`"%s"`' % value
    return _value(value)


def _type(var: Var) -> str:
    return "list of %s" % var.elements if var.elements else var.type


def _default(var: Var) -> str:
    if var.required:
        return "required"
    if var.default_text:
        return var.default_text
    if var.default is None:
        return "none"
    return _shown(var, var.default)


def _allowed(var: Var) -> str:
    if var.choices:
        return ", ".join(_value(c) for c in var.choices)
    return input_schema.bounds_text(var)


def _example(var: Var) -> str:
    if var.example is input_schema.NO_EXAMPLE:
        return "see below" if var.details else ""
    return "`%s: %s`" % (var.name, _shown(var, var.example)[1:-1])


def _meaning(var: Var) -> str:
    text = role_docs.markup_to_markdown(var.description)
    releases = []
    if var.calico_min:
        releases.append("from Calico %s" % var.calico_min)
    if var.calico_max:
        releases.append("up to Calico %s" % var.calico_max)
    if releases:
        text += " (%s)" % ", ".join(releases)
    if var.secret:
        text += " Secret: never printed."
    return text


def _table(variables: list[Var], with_example: bool = True) -> list[str]:
    if with_example:
        rows = ["| variable | type | default | allowed | example | meaning |", "| --- | --- | --- | --- | --- | --- |"]
    else:
        rows = ["| variable | type | default | allowed | meaning |", "| --- | --- | --- | --- | --- |"]
    for var in variables:
        cells = ["`%s`" % var.name, _type(var), _default(var), _allowed(var)]
        if with_example:
            cells.append(_example(var))
        cells.append(_meaning(var))
        rows.append("| %s |" % " | ".join(role_docs._cell(c) for c in cells))  # pylint: disable=protected-access
    return rows


def reference(schema=VARIABLES) -> str:
    """The generated part of docs/inventory.md, markers included."""
    out = [BEGIN, "", "## Cluster variables", ""]
    cluster = [v for v in schema if v.in_scope("cluster")]
    sections = list(dict.fromkeys(v.section for v in cluster))
    for section in sections:
        members = [v for v in cluster if v.section == section]
        out += ["### %s" % section, ""] + _table(members) + [""]
        for var in members:
            if var.details:
                out += [var.details, ""]
    for scope, title in (("node", "Node host variables (hosts of `k8s_cluster`)"), ("router", "Router host variables (hosts of `tor_routers`)")):
        out += ["## %s" % title, ""] + _table([v for v in schema if v.in_scope(scope)]) + [""]
    out += ["## Role variables", "",
            "Stage options of the roles; each role's `meta/argument_specs.yml` (validated by Ansible when the role starts) and",
            "README are generated from the same entries.", ""]
    roles = sorted({role for v in schema for role, _entry in v.roles()})
    for role in roles:
        members = [v for v in schema if any(r == role for r, _entry in v.roles())]
        out += ["### `onprem.calico.%s`" % role, ""] + _table(members, with_example=False) + [""]
    for kind, title, intro in (
            ("playbook", "Stage playbook variables",
             "Read by a stage playbook (usually as extra vars) or by a role's defaults under an inventory-facing name."),
            ("site", "Site wiring",
             "Names the docs give a site's own wiring; preflight knows them, the collection does not read them.")):
        out += ["## %s" % title, "", intro, "",
                "| variable | %s | type | default | example | meaning |" % ("read by" if kind == "playbook" else "documented in"),
                "| --- | --- | --- | --- | --- | --- |"]
        for var in schema:
            where = ", ".join("`%s`" % s.split(":", 1)[1] for s in var.scopes if s.startswith(kind + ":"))
            if where:
                cells = ["`%s`" % var.name, where, _type(var), _default(var), _example(var), _meaning(var)]
                out.append("| %s |" % " | ".join(role_docs._cell(c) for c in cells))  # pylint: disable=protected-access
        out.append("")
    out.append(END)
    return "\n".join(out)


def inventory_doc(repo: str) -> str:
    with open(os.path.join(repo, INVENTORY_DOC), encoding="utf-8") as fh:
        existing = fh.read()
    if BEGIN not in existing or END not in existing:
        raise ValueError("%s lost its generated-section markers; restore them from git" % INVENTORY_DOC)
    head, rest = existing.split(BEGIN, 1)
    return head + reference() + rest.split(END, 1)[1]


# --- roles/*/meta/argument_specs.yml ----------------------------------------------------------


def spec_options(role: str, entry: str, schema=VARIABLES) -> dict:
    """The argument spec options of one role entry point, in table order."""
    options = {}
    for var in schema:
        if (role, entry) not in var.roles():
            continue
        option: dict = {"type": _SPEC_TYPES[var.type]}
        if var.elements:
            option["elements"] = var.elements
        if var.required:
            option["required"] = True
        elif var.default is not None:
            option["default"] = var.default
        if var.choices:
            option["choices"] = list(var.choices)
        if var.secret:
            option["no_log"] = True
        option["description"] = " ".join([var.description] + [note for r, note in var.role_notes if r == role])
        options[var.name] = option
    return options


class _IndentedDumper(yaml.SafeDumper):  # pylint: disable=too-many-ancestors
    """Indents lists inside mappings, as yamllint's default indentation rule wants."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def argument_specs(repo: str, schema=VARIABLES) -> dict[str, str]:
    """{relative path: text} of every role's argument spec with its options regenerated."""
    out = {}
    for role in role_docs.roles_with_specs(repo):
        rel = os.path.join("roles", role, "meta", "argument_specs.yml")
        with open(os.path.join(repo, rel), encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
        for entry, spec in doc["argument_specs"].items():
            spec["options"] = spec_options(role, entry, schema)
        text = yaml.dump(doc, Dumper=_IndentedDumper, sort_keys=False, width=120, default_flow_style=False, allow_unicode=True)
        out[rel] = ("---\n# Options generated from plugins/plugin_utils/input_schema.py by tools/schema_docs.py (make docs);\n"
                    "# short_description, description and author are written by hand.\n" + text)
    return out


# --- docs/awx/survey.json ---------------------------------------------------------------------


def survey() -> str:
    return json.dumps(input_schema.survey_spec(), indent=2) + "\n"


def generate(repo: str) -> dict[str, str]:
    docs = {INVENTORY_DOC: inventory_doc(repo), SURVEY: survey()}
    docs.update(argument_specs(repo))
    return docs
