"""Generate the variables section of every role's README.md from its meta/argument_specs.yml.

The spec is the single source: the README keeps any hand-written text outside the markers and
the part between them is rewritten from the spec. `tools/gen_docs.py --check` (make docs-check)
fails when a committed README differs from what this module generates.
"""

from __future__ import annotations

import os
import re

import yaml

BEGIN = "<!-- BEGIN generated from meta/argument_specs.yml by tools/role_docs.py: edit the spec, then run `make docs` -->"
END = "<!-- END generated from meta/argument_specs.yml -->"

# Ansible documentation markup (C(), I(), B(), O(), V(), U(), L(), M(), E(), P()) to Markdown.
_MARKUP = [
    (re.compile(r"L\(([^)]+?),\s*([^)]+)\)"), r"[\1](\2)"),
    (re.compile(r"U\(([^)]+)\)"), r"<\1>"),
    (re.compile(r"[CVOEMP]\(([^)]*)\)"), r"`\1`"),
    (re.compile(r"I\(([^)]*)\)"), r"*\1*"),
    (re.compile(r"B\(([^)]*)\)"), r"**\1**"),
]


def markup_to_markdown(text: str) -> str:
    for pattern, repl in _MARKUP:
        text = pattern.sub(repl, text)
    return text


def _paragraphs(value) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [markup_to_markdown(" ".join(str(i).split())) for i in items]


def _cell(text: str) -> str:
    """Make text safe inside one Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _yaml_value(value) -> str:
    if value == "":
        return '`""`'
    dumped = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    if dumped.endswith("\n..."):
        dumped = dumped[: -len("\n...")]
    dumped = dumped.removesuffix("...").strip()
    return "`%s`" % dumped


def _type_of(spec: dict) -> str:
    kind = spec.get("type", "str")
    if kind == "list" and spec.get("elements"):
        return "list of %s" % spec["elements"]
    return kind


def _option_rows(options: dict, prefix: str = "") -> list[str]:
    rows = []
    for name in sorted(options):
        spec = options[name] or {}
        full = prefix + name
        if spec.get("required"):
            default = "required"
        elif "default" in spec:
            default = _yaml_value(spec["default"])
        else:
            default = "-"
        text = " ".join(_paragraphs(spec.get("description")))
        if spec.get("choices") is not None:
            text += " Choices: %s." % ", ".join(_yaml_value(c) for c in spec["choices"])
        rows.append("| `%s` | %s | %s | %s |" % (full, _type_of(spec), _cell(default), _cell(text.strip())))
        if spec.get("options"):
            rows.extend(_option_rows(spec["options"], full + "."))
    return rows


def render_spec(role_name: str, spec_doc: dict, collection: str = "onprem.calico") -> str:
    """The generated section (between and including the markers) for one role's spec."""
    entry_points = (spec_doc or {}).get("argument_specs") or {}
    out = [BEGIN, ""]
    for entry in sorted(entry_points, key=lambda e: (e != "main", e)):
        ep = entry_points[entry] or {}
        how = "`%s.%s`" % (collection, role_name) + ("" if entry == "main" else " with `tasks_from: %s`" % entry)
        out.append("## Entry point `%s`" % entry)
        out.append("")
        if ep.get("short_description"):
            out.append("%s (%s)." % (markup_to_markdown(ep["short_description"]).rstrip("."), how))
            out.append("")
        for para in _paragraphs(ep.get("description")):
            out.append(para)
            out.append("")
        options = ep.get("options") or {}
        if options:
            out.append("| Variable | Type | Default | Description |")
            out.append("| --- | --- | --- | --- |")
            out.extend(_option_rows(options))
        else:
            out.append("This entry point takes no variables.")
        out.append("")
    out.append(END)
    return "\n".join(out)


def default_readme(role_name: str, section: str, collection: str = "onprem.calico") -> str:
    return (
        "# %s.%s\n\n"
        "The role's variables, generated from `meta/argument_specs.yml` (Ansible validates them against\n"
        "the same spec when the role starts). Defaults live in `defaults/main.yml`.\n\n%s\n"
        % (collection, role_name, section)
    )


def merged_readme(existing: str | None, role_name: str, section: str) -> str:
    """README text with the generated section replaced (or appended, or a new README)."""
    if existing is None:
        return default_readme(role_name, section)
    if BEGIN in existing and END in existing:
        head, rest = existing.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        return head + section + tail
    return existing.rstrip("\n") + "\n\n" + section + "\n"


def roles_with_specs(repo: str) -> list[str]:
    roles_dir = os.path.join(repo, "roles")
    if not os.path.isdir(roles_dir):
        return []
    return sorted(
        r for r in os.listdir(roles_dir)
        if os.path.isfile(os.path.join(roles_dir, r, "meta", "argument_specs.yml"))
    )


def generate(repo: str, spec_texts: dict[str, str] | None = None) -> dict[str, str]:
    """{relative README path: full text} for every role with an argument spec.

    ``spec_texts`` ({relative spec path: text}) are freshly generated specs to use instead of
    the committed files, so a check compares READMEs with the specs as they will be.
    """
    result = {}
    for role in roles_with_specs(repo):
        spec_rel = os.path.join("roles", role, "meta", "argument_specs.yml")
        if spec_texts and spec_rel in spec_texts:
            spec_doc = yaml.safe_load(spec_texts[spec_rel])
        else:
            with open(os.path.join(repo, spec_rel), encoding="utf-8") as fh:
                spec_doc = yaml.safe_load(fh)
        rel = os.path.join("roles", role, "README.md")
        path = os.path.join(repo, rel)
        existing = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                existing = fh.read()
        result[rel] = merged_readme(existing, role, render_spec(role, spec_doc))
    return result
