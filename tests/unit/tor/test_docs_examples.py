"""docs/tor.md shows what the renderers write: its per-platform examples are their output."""

from __future__ import annotations

import os
import re

import pytest
from sample_plan import make_plan

from ansible_collections.onprem.calico.plugins.plugin_utils import tor
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "docs", "tor.md")
HEADINGS = {"frr": "FRR", "eos": "Arista EOS", "nxos": "Cisco NX-OS", "junos": "Juniper Junos"}


@pytest.mark.parametrize("platform", sorted(HEADINGS))
def test_example_equals_the_renderer_output(platform):
    text = open(DOC, encoding="utf-8").read()
    match = re.search(r"^### %s\n\n```\w+\n(.*?)```$" % re.escape(HEADINGS[platform]), text, re.S | re.M)
    assert match, f"docs/tor.md has no example for {platform}"
    rendered = tor.render(make_plan(platforms=(platform,), racks=1, send_default=True), RenderContext())[0].content
    assert match.group(1) == rendered
