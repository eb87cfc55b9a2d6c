"""The Junos uninstall text is XML that `load update` reads, laid out as the push's is: one
element per line, two spaces per level, no text outside the <name> leaves (issue 18: the line
layout and the depth of each deleted object were never checked)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from sample_plan import make_plan

from ansible_collections.onprem.calico.plugins.plugin_utils.tor.removal import removal_config

LINE = re.compile(r"^( *)(<!--.*-->|</?[a-z-]+(?: [a-z-]+=\"[a-z-]+\")?>(?:[A-Z0-9-]+</[a-z-]+>)?)$")


def _check_layout(text):
    lines = text.split("\n")
    assert lines[-1] == "", "the text ends with a newline"
    depth = 0
    for line in lines[:-1]:
        match = LINE.match(line)
        assert match, "not one element on its own line: %r" % line
        element = match.group(2)
        if element.startswith("</"):
            depth -= 1
        assert len(match.group(1)) == 2 * depth, "indentation of %r" % line
        opens = element.startswith("<") and not element.startswith(("</", "<!--")) and not element.endswith("</name>")
        if opens:
            depth += 1
    assert depth == 0


def _deleted(tree):
    """(path of the deleted element, its name) for every element marked delete."""
    out = []

    def walk(element, path):
        for child in element:
            here = path + (child.tag,)
            if child.get("delete") == "delete":
                out.append((here, child.findtext("name")))
            walk(child, here)
    walk(tree, ())
    return out


@pytest.mark.parametrize("design,mode", [("as_per_rack", "explicit"), ("as_per_node", "listen_range"), ("as_per_node", "explicit")])
def test_junos_removal_is_one_element_per_line_two_spaces_a_level(design, mode):
    plan = make_plan(design, platforms=("junos",), racks=1, neighbor_mode=mode, pool_v6="fd00:10:244::/48")
    text = removal_config(plan, "tor1")
    _check_layout(text)
    tree = ET.fromstring(text)
    assert tree.tag == "configuration" and not (tree.text or "").strip()
    # Groups sit under protocols/bgp, policy objects straight under policy-options.
    for path, name in _deleted(tree):
        assert name.startswith("CALICO-")
        assert path[:-1] in (("protocols", "bgp"), ("policy-options",)), path
        assert (path[-1] == "group") == (path[:-1] == ("protocols", "bgp"))
    kinds = {entry[0][-1] for entry in _deleted(tree)}
    assert {"group", "policy-statement"} <= kinds
