"""Assemble ``tor/<router>.conf`` of a vendor router from the resource modules' rendered output.

EOS and NX-OS: the rendered commands, indented under their context, then the template text,
each part introduced by a comment naming the module that pushes it. Junos: one
``<configuration>`` document holding the rendered XML (namespace prefixes removed) and the
template XML, ready for ``load merge`` / junos_config ``src_format: xml``.
"""

from __future__ import annotations

import re

NC_PREFIX_RE = re.compile(r"(</?)nc:")
NC_XMLNS_RE = re.compile(r'\s+xmlns:nc="[^"]*"')


def indent_commands(platform: str, commands: list[str]) -> list[str]:
    """Flat rendered command lists as nested configuration text."""
    step = "   " if platform == "eos" else "  "
    out, depth, in_neighbor = [], 0, False
    for command in commands:
        if command.startswith("router bgp "):
            out.append(command)
            depth, in_neighbor = 1, False
            continue
        if platform == "nxos":
            if command.startswith("neighbor "):
                depth, in_neighbor = 1, True
                out.append(step + command)
                depth = 2
                continue
            if command.startswith("address-family ") and in_neighbor:
                out.append(step * 2 + command)
                depth = 3
                continue
        out.append(step * depth + command)
    return out


def xml_without_namespace(text: str) -> str:
    """The module's one-line XML without the netconf prefix, one element per line."""
    from xml.dom import minidom

    plain = NC_XMLNS_RE.sub("", NC_PREFIX_RE.sub(r"\1", text))
    pretty = minidom.parseString(plain).documentElement.toprettyxml(indent="  ")
    return "\n".join(line for line in pretty.splitlines() if line.strip())


def artifact_text(vendor: dict, rendered: list) -> str:
    """``rendered``: one entry per ``vendor['resources']`` item, the module's ``rendered`` value."""
    if len(rendered) != len(vendor["resources"]):
        raise ValueError("one rendered output per resource module is needed")
    platform = vendor["platform"]
    if platform == "junos":
        lines = ["<configuration>", "  <!--"] + ["    " + h.strip() for h in vendor["header"]] + ["  -->"]
        for resource, output in zip(vendor["resources"], rendered):
            lines.append(f"  <!-- {resource['module']} (state: rendered) -->")
            text = output if isinstance(output, str) else "".join(output)
            lines += ["  " + line for line in xml_without_namespace(text).splitlines()]
        lines.append(f"  <!-- template: what {vendor['resources'][0]['module']} cannot express -->")
        lines.append(vendor["template"].rstrip("\n"))
        lines.append("</configuration>")
        return "\n".join(lines) + "\n"
    comment = vendor["comment"]
    lines = list(vendor["header"]) + [comment]
    for resource, output in zip(vendor["resources"], rendered):
        lines.append(f"{comment} {resource['module']} (state: rendered)")
        lines += indent_commands(platform, list(output))
        lines.append(comment)
    lines.append(f"{comment} {vendor['template_module']}: what the resource modules cannot express")
    lines += vendor["template"].rstrip("\n").splitlines()
    return "\n".join(lines) + "\n"
