"""Time to load, verify, customise and dump the largest upstream Calico manifest.

    .venv/bin/python benchmarks/manifest_bench.py [--repeat N]

Stages are timed separately (median of N runs) and summed: read + sha256, YAML parse,
customise (a plan with every customisation switched on), dump. Offline validation with
kubernetes-validate is printed on its own line; it is not part of the target.
Target: load + verify + customise + dump under 0.5 s.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, ".collections"))
sys.path.insert(0, os.path.join(REPO, "tests", "unit", "manifest"))

from manifest_plans import default_pool, plan_for  # noqa: E402

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog, manifest  # noqa: E402
from ansible_collections.onprem.calico.plugins.plugin_utils.manifest_source import (  # noqa: E402
    fetch_verified,
    source_from_plan,
)

UPSTREAM = os.path.abspath(os.environ.get("CALICO_UPSTREAM_DIR") or os.path.join(REPO, "..", "shared", "upstream", "calico"))
TARGET_SECONDS = 0.5


def largest_upstream():
    best = None
    for version in catalog.SUPPORTED_VERSIONS:
        for variant in catalog.VARIANTS:
            path = os.path.join(UPSTREAM, "v%s" % version, variant)
            if os.path.exists(path) and (best is None or os.path.getsize(path) > best[2]):
                best = (version, variant, os.path.getsize(path))
    if best is None:
        sys.exit("no upstream manifests under %s (set CALICO_UPSTREAM_DIR)" % UPSTREAM)
    return best


def full_plan(version, variant):
    plan = plan_for(version, variant)
    plan["cluster"].update(dual_stack=True, pod_cidr_v6="fd00:10:244::/56")
    plan["ip_pools"].append(default_pool(family=6, cidr="fd00:10:244::/56", block_size=122, ipip="Never", nat=False))
    plan["manifest"].update(veth_mtu=1450, image_registry="registry.corp:5000", image_pull_secrets=["corp-pull"],
                            felix_env={"FELIX_PROMETHEUSMETRICSENABLED": "true"}, ip6_autodetection_method="cidr=fd00:1::/64")
    return plan


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    version, variant, size = largest_upstream()
    plan = full_plan(version, variant)
    timings = {"read+sha256": [], "parse": [], "customise": [], "dump": [], "validate": []}
    changes = 0
    for _run in range(args.repeat):
        start = time.perf_counter()
        verified = fetch_verified(source_from_plan(plan, UPSTREAM))
        t_read = time.perf_counter()
        docs = manifest.parse_documents(verified.data)
        t_parse = time.perf_counter()
        result = manifest.customise(docs, copy.deepcopy(plan))
        t_custom = time.perf_counter()
        text = manifest.dump_documents(result.docs)
        t_dump = time.perf_counter()
        problems = manifest.validate_documents(result.docs, plan["cluster"]["kubernetes_version"])
        t_valid = time.perf_counter()
        assert not problems, problems
        changes = len(result.changes)
        for key, value in zip(timings, (t_read - start, t_parse - t_read, t_custom - t_parse, t_dump - t_custom, t_valid - t_dump)):
            timings[key].append(value)
    median = {key: statistics.median(values) for key, values in timings.items()}
    pipeline = sum(median[k] for k in ("read+sha256", "parse", "customise", "dump"))
    print("manifest: v%s/%s, %d bytes in, %d bytes out, %d documents, %d changed fields, median of %d runs"
          % (version, variant, size, len(text), len(result.docs), changes, args.repeat))
    for key, value in median.items():
        print("  %-12s %7.3f s" % (key, value))
    print("load+verify+customise+dump: %.3f s (target < %.1f s: %s)" % (pipeline, TARGET_SECONDS, "met" if pipeline < TARGET_SECONDS else "MISSED"))
    print("with offline validation:    %.3f s" % (pipeline + median["validate"]))


if __name__ == "__main__":
    main()
