"""What the approval machinery costs on big plans: artifacts.json, the comparison, review.md.

    python benchmarks/approval_bench.py          # 100, 1,000 and 5,000 nodes

Every apply stage given calico_apply_from re-renders and compares; this prints the part that is
new (record + compare + review) next to the render it follows, so the overhead can be judged.
The review compares against a previous set that lacks one router (the objects are unchanged).
Renders the FRR and resources artifacts in-process (the manifest renderer needs the upstream
manifests and is timed by manifest_bench.py).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The resources renderer validates against the release's CRD schemas from the upstream manifests.
UPSTREAM_DIR = os.environ.get("CALICO_UPSTREAM_DIR") or os.path.join(os.path.dirname(REPO), "shared", "upstream", "calico")
sys.path.insert(0, os.path.join(REPO, ".collections"))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

from plan_bench import synthetic  # noqa: E402

from ansible_collections.onprem.calico.plugins.plugin_utils import bundle, review  # noqa: E402
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext, render_all  # noqa: E402
from ansible_collections.onprem.calico.plugins.plugin_utils.placeholders import render_secrets  # noqa: E402
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan  # noqa: E402


def write(directory, artifacts):
    for art in artifacts:
        path = os.path.join(directory, art.path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(art.content)


def main():
    print("%8s %10s %10s %10s %10s %10s" % ("nodes", "render s", "record s", "compare s", "review s", "files"))
    for nodes in (100, 1000, 5000):
        plan = build_plan(synthetic(nodes, max(2, nodes // 40))).plan
        with tempfile.TemporaryDirectory() as old, tempfile.TemporaryDirectory() as new:
            start = time.perf_counter()
            artifacts = render_all(plan, RenderContext(secrets=render_secrets(plan), upstream_dir=UPSTREAM_DIR), ("resources", "tor"))
            write(new, artifacts)
            rendered = time.perf_counter() - start
            paths = [a.path for a in artifacts]
            write(old, artifacts[:-1])  # the previous set: one router fewer
            start = time.perf_counter()
            current = bundle.record(plan, new, paths, "0.1.0")
            recorded = time.perf_counter() - start
            approved = json.loads(bundle.dumps(current))
            start = time.perf_counter()
            assert bundle.differences(approved, current) == []
            compared = time.perf_counter() - start
            start = time.perf_counter()
            review.summary(old, new, paths)
            reviewed = time.perf_counter() - start
        print("%8d %10.3f %10.3f %10.4f %10.3f %10d" % (nodes, rendered, recorded, compared, reviewed, len(paths)))


if __name__ == "__main__":
    main()
