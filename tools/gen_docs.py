"""Write or check the generated documentation.

  --write  rewrite docs/inventory.md (variable reference), roles/*/meta/argument_specs.yml
           (options), docs/awx/survey.json, roles/*/README.md (variables section),
           docs/troubleshooting.md and docs/images/*.svg in place
  --check  generate into a temporary directory, diff against the committed files, fail on drift
           or when a preflight rule has no example in tools/troubleshooting_doc.py

Generated from: the input schema plugins/plugin_utils/input_schema.py (tools/schema_docs.py:
docs/inventory.md, the argument specs' options, the AWX survey), each role's
meta/argument_specs.yml (tools/role_docs.py), the plan core's
preflight messages (tools/troubleshooting_doc.py), the example inventories' plans
(tools/guide_summary.py, the "What the plan decides" section of docs/guides/) and
docs/images/*.dot (graphviz).
"""

from __future__ import annotations

import argparse
import difflib
import glob
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, ".collections"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import guide_summary  # noqa: E402  pylint: disable=wrong-import-position
import role_docs  # noqa: E402  pylint: disable=wrong-import-position
import schema_docs  # noqa: E402  pylint: disable=wrong-import-position
import troubleshooting_doc  # noqa: E402  pylint: disable=wrong-import-position


def diagrams() -> dict[str, str]:
    """docs/images/*.dot rendered to SVG with graphviz (installed by `make apt`)."""
    out = {}
    for source in sorted(glob.glob(os.path.join(REPO, "docs", "images", "*.dot"))):
        svg = subprocess.run(["dot", "-Tsvg", source], capture_output=True, text=True, check=True).stdout
        out[os.path.relpath(source[: -len(".dot")] + ".svg", REPO)] = svg
    return out


def generated() -> dict[str, str]:
    docs = schema_docs.generate(REPO)
    specs = {rel: text for rel, text in docs.items() if rel.endswith("argument_specs.yml")}
    docs.update(role_docs.generate(REPO, specs))
    docs.update(troubleshooting_doc.generate(REPO))
    docs.update(guide_summary.generate(REPO))
    docs.update(diagrams())
    return docs


def write(docs: dict[str, str], root: str) -> None:
    for rel, text in docs.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)


def check(docs: dict[str, str]) -> int:
    failures = 0
    with tempfile.TemporaryDirectory(prefix="onprem-calico-docs-") as tmp:
        write(docs, tmp)
        for rel in sorted(docs):
            with open(os.path.join(tmp, rel), encoding="utf-8") as fh:
                fresh = fh.read()
            committed_path = os.path.join(REPO, rel)
            committed = ""
            if os.path.exists(committed_path):
                with open(committed_path, encoding="utf-8") as fh:
                    committed = fh.read()
            if fresh != committed:
                failures += 1
                diff = difflib.unified_diff(committed.splitlines(True), fresh.splitlines(True),
                                            "committed/" + rel, "generated/" + rel, n=1)
                sys.stdout.writelines(list(diff)[:60])
                print("docs-check: %s is out of date" % rel)
    uncovered = troubleshooting_doc.uncovered_call_sites()
    for site in uncovered:
        failures += 1
        print("docs-check: preflight check %s.py:%d (%s) has no example in tools/troubleshooting_doc.py CASES"
              % (site.module, site.line, site.function))
    if failures:
        print("docs-check: FAILED; run `make docs` and commit the result (add a Case for new preflight checks)")
        return 1
    print("docs-check: %d generated files up to date, every preflight check has an example" % len(docs))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    docs = generated()
    if args.write:
        write(docs, REPO)
        for rel in sorted(docs):
            print("wrote %s" % rel)
        return 0
    return check(docs)


if __name__ == "__main__":
    sys.exit(main())
