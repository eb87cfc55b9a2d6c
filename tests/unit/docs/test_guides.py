"""The scenario guides and the other hand-written pages of docs/ this area owns.

Inventories a guide shows as whole files ("# file: <path>" blocks) are built into a plan, the
generated "What the plan decides" section exists in every guide, and every relative link of
these pages points at a file of the repository.
"""

import os
import re
import sys

import pytest

from inventory_loader import load_inventory
from testpaths import REPO

sys.path.insert(0, os.path.join(REPO, "tools"))

import guide_summary  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan  # noqa: E402

GUIDES_DIR = os.path.join(REPO, "docs", "guides")
PAGES = ["docs/architecture.md", "docs/awx.md", "docs/upgrade.md", "docs/troubleshooting.md"] + [
    "docs/guides/%s.md" % g for g in guide_summary.GUIDES] + ["docs/guides/README.md"]
FILE_BLOCK = re.compile(r"```yaml\n# file: (\S+)\n(.*?)```", re.S)
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")


def read(rel):
    with open(os.path.join(REPO, rel), encoding="utf-8") as fh:
        return fh.read()


@pytest.mark.parametrize("guide", sorted(guide_summary.GUIDES))
def test_guide_exists_with_generated_section(guide):
    text = read("docs/guides/%s.md" % guide)
    example = guide_summary.GUIDES[guide]
    assert guide_summary.BEGIN % example in text and guide_summary.END in text
    assert os.path.isdir(os.path.join(REPO, "inventory", "examples", example))


def guides_with_inventories():
    found = []
    for guide in sorted(guide_summary.GUIDES):
        blocks = FILE_BLOCK.findall(read("docs/guides/%s.md" % guide))
        if blocks:
            found.append((guide, blocks))
    return found


def test_some_guide_shows_a_whole_inventory():
    assert guides_with_inventories(), "no guide has '# file:' inventory blocks"


@pytest.mark.parametrize("guide,blocks", guides_with_inventories(), ids=lambda v: v if isinstance(v, str) else "")
def test_guide_inventory_builds_a_plan(guide, blocks, tmp_path):
    for rel, body in blocks:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    result = build_plan(load_inventory(str(tmp_path)))
    assert result.ok, (guide, [str(e) for e in result.errors])
    assert result.warnings == [], (guide, [str(w) for w in result.warnings])
    if guide == "route-reflectors":
        plan = result.plan
        assert plan["bgp"]["mode"] == "route_reflectors" and plan["bgp"]["node_to_node_mesh"] is False
        assert plan["bgp"]["route_reflectors"] == ["rr1", "rr2"]
        assert [p["name"] for p in plan["nodes"]["worker01"]["peers"]] == ["rr1", "rr2"]


@pytest.mark.parametrize("page", PAGES)
def test_relative_links_resolve(page):
    text = read(page)
    base = os.path.dirname(os.path.join(REPO, page))
    broken = []
    for target, _anchor in LINK.findall(text):
        if re.match(r"^[a-z]+:", target):
            continue
        if not os.path.exists(os.path.normpath(os.path.join(base, target))):
            broken.append(target)
    assert not broken, "%s links to missing files: %s" % (page, broken)
