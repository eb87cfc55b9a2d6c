"""The generated documentation: role READMEs from argument specs, troubleshooting from preflight.

`make docs-check` compares the committed files with fresh output; these tests check that the
generators say true things: every preflight check has a focused example whose message really
comes from that check, and spec tables show every option as Ansible reads it.
"""

import os
import sys

import pytest

from testpaths import REPO

sys.path.insert(0, os.path.join(REPO, "tools"))

import role_docs  # noqa: E402  pylint: disable=wrong-import-position
import troubleshooting_doc as tsd  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan  # noqa: E402


@pytest.fixture(scope="module")
def findings():
    return tsd.run_cases()


def test_base_inventories_are_valid_and_quiet():
    """Each example changes one thing in a clean inventory, so the clean ones must be clean."""
    for base in ("mesh", "tor"):
        result = build_plan(tsd.inventory_of(tsd.Case(base=base)))
        assert result.ok, [str(e) for e in result.errors]
        assert result.warnings == [], [str(w) for w in result.warnings]


def test_every_preflight_check_has_an_example(findings):
    sites = tsd.call_sites()
    assert len(sites) > 50  # the scanner finds the plan core's checks at all
    missing = tsd.uncovered_call_sites(findings)
    assert not missing, "add a Case to tools/troubleshooting_doc.py for: %s" % missing


def test_every_case_reports_something(findings):
    reported = {id(f.case) for f in findings}
    silent = [c for c in tsd.CASES if id(c) not in reported]
    assert not silent, "cases without any finding (stale examples): %s" % silent


def test_findings_are_attributed_to_the_call_that_made_them(findings):
    """The recorded call site's source line really is the one that produced the message."""
    import inspect

    sources = {m.__name__.rsplit(".", 1)[-1]: inspect.getsource(m).splitlines() for m in tsd.CORE_MODULES}
    by_site = tsd.first_finding_per_site(findings)
    for site, end in tsd.call_sites():
        if site not in by_site:
            continue  # reported by test_every_preflight_check_has_an_example
        f = by_site[site]
        text = "\n".join(sources[site.module][site.line - 1:end])
        assert ("warn" if f.severity == "warning" else "error") in text, (site, f.message)


def test_example_shows_the_change():
    case = tsd.Case(base="tor", cluster={"calico_tor_maximum_paths": 0, "calico_tor_design": None},
                    hosts={"tor1": {"calico_tor_asn": 65101}}, unset={"a1": ["calico_rack"]},
                    groups={"tor_routers": ["tor1"]})
    text = tsd.example_yaml(case)
    assert "# group_vars/all.yml\ncalico_tor_maximum_paths: 0" in text
    assert "# group_vars/all.yml: not set\n# calico_tor_design" in text
    assert "# host_vars/tor1.yml\ncalico_tor_asn: 65101" in text
    assert "# host_vars/a1.yml: not set\n# calico_rack" in text
    assert "tor_routers:\n- tor1" in text
    inv = tsd.inventory_of(case)
    assert "calico_tor_design" not in inv.cluster and "calico_rack" not in inv.hosts["a1"]


def test_troubleshooting_lists_each_message_with_its_fix(findings):
    text = tsd.render_markdown(findings)
    for f in tsd.first_finding_per_site(findings).values():
        assert f.message.replace("<", "&lt;").replace(">", "&gt;") in text
        assert f.fix in text


def test_markup_is_converted():
    assert role_docs.markup_to_markdown("C(a) I(b) B(c) O(d=1) V(e) U(http://x) L(t, http://y) M(onprem.calico.plan)") == (
        "`a` *b* **c** `d=1` `e` <http://x> [t](http://y) `onprem.calico.plan`")


SPEC = {
    "argument_specs": {
        "main": {
            "short_description": "Do C(things)",
            "description": ["First paragraph.", "Second | with a pipe."],
            "options": {
                "b_opt": {"type": "list", "elements": "str", "default": ["x"], "description": "A list."},
                "a_opt": {"type": "str", "required": True, "description": "Needed."},
                "c_opt": {"type": "str", "default": "", "choices": ["", "y"], "description": "Empty ok."},
                "d_opt": {"type": "dict", "description": "Nested.", "options": {"inner": {"type": "int", "default": 3, "description": "In."}}},
            },
        },
        "other": {"short_description": "Other entry", "options": {}},
    }
}


def test_render_spec_table():
    section = role_docs.render_spec("demo", SPEC)
    lines = section.splitlines()
    assert lines[0] == role_docs.BEGIN and lines[-1] == role_docs.END
    assert "Do `things` (`onprem.calico.demo`)." in section
    rows = [line for line in lines if line.startswith("| `")]
    assert [r.split("|")[1].strip() for r in rows] == ["`a_opt`", "`b_opt`", "`c_opt`", "`d_opt`", "`d_opt.inner`"]
    assert "| `a_opt` | str | required | Needed. |" in lines
    assert "| `b_opt` | list of str | `[x]` | A list. |" in lines
    assert '| `c_opt` | str | `""` | Empty ok. Choices: `""`, `y`. |' in lines
    assert "| `d_opt.inner` | int | `3` | In. |" in lines
    assert "Second \\| with a pipe." not in section  # pipes only escaped inside table cells
    assert "with `tasks_from: other`" in section and "This entry point takes no variables." in section
    assert section.index("Entry point `main`") < section.index("Entry point `other`")


def test_merged_readme_keeps_hand_written_text():
    section = role_docs.render_spec("demo", SPEC)
    old = "# demo\n\nHand-written intro.\n\n%s\nOLD\n%s\n\n## Examples\n\nkept\n" % (role_docs.BEGIN, role_docs.END)
    new = role_docs.merged_readme(old, "demo", section)
    assert new.startswith("# demo\n\nHand-written intro.\n\n") and new.endswith("\n\n## Examples\n\nkept\n")
    assert "OLD" not in new and section in new
    assert role_docs.merged_readme("# demo\n\nNo markers.\n", "demo", section) == "# demo\n\nNo markers.\n\n" + section + "\n"
    assert role_docs.merged_readme(None, "demo", section).startswith("# onprem.calico.demo\n")
