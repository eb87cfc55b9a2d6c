"""ToR renderer and FRR merge time for large racks (prints numbers; asserts nothing).

    python benchmarks/tor_bench.py

Renders FRR configurations for 40 racks x 48 nodes (two ToRs per rack, from the plan core
via plan_bench.synthetic), then merges one router's owned configuration into a running
configuration that already holds it plus 200 foreign neighbours, as the push module does.
Target: the whole fabric renders in well under a second; one merge stays in milliseconds.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, ".collections"))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

from plan_bench import synthetic  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.onprem.calico.plugins.module_utils.frr_tor_config import merge  # noqa: E402
from ansible_collections.onprem.calico.plugins.plugin_utils import tor  # noqa: E402
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext  # noqa: E402
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan  # noqa: E402


def best_of(runs, func):
    times = []
    for _run in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main():
    racks, per_rack = 40, 48
    result = build_plan(synthetic(racks * per_rack, racks))
    assert not result.errors, [str(e) for e in result.errors][:3]
    plan = result.plan
    routers = len(plan["tor_routers"])
    best, median = best_of(5, lambda: tor.render(plan, RenderContext()))
    print(f"render FRR: {routers} routers, {per_rack} nodes each: best {best * 1000:.1f} ms, median {median * 1000:.1f} ms")

    artifact = tor.render(plan, RenderContext())[0].content
    asn = plan["tor_routers"][sorted(plan["tor_routers"])[0]]["asn"]
    foreign = "".join(f" neighbor 172.16.{i // 250}.{i % 250 + 1} remote-as {64000 + i}\n" for i in range(200))
    running = merge("frr version 8.4.4\nfrr defaults traditional\n!\n", artifact, "CALICO-")
    running = running.replace(f"router bgp {asn}\n", f"router bgp {asn}\n" + foreign, 1)
    best, median = best_of(20, lambda: merge(running, artifact, "CALICO-"))
    print(f"merge one router ({len(running.splitlines())} running lines): best {best * 1000:.2f} ms, "
          f"median {median * 1000:.2f} ms")


if __name__ == "__main__":
    main()
