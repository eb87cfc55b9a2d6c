"""ToR render and FRR merge times (prints numbers; asserts nothing).

    python benchmarks/tor_bench.py              # in process
    python benchmarks/tor_bench.py --playbook   # also playbooks/render.yml, 40-ToR site, EOS vs FRR

In process: 500 ToRs of each platform (250 racks x 2 ToRs, 20 nodes per rack, from the plan
core via plan_bench.synthetic) rendered in one pass; target < 2 s per platform. Then one
router's owned FRR configuration merged into a running configuration that already holds it
plus 200 foreign neighbours, as the push module does (milliseconds).
With --playbook: playbooks/render.yml on a 40-ToR site (20 racks, 400 nodes) with every ToR
on EOS, then the same site on FRR; target: EOS within 1.5x of FRR.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, ".collections"))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

from plan_bench import synthetic, write_inventory  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.onprem.calico.plugins.module_utils.frr_tor_config import merge  # noqa: E402
from ansible_collections.onprem.calico.plugins.plugin_utils import tor  # noqa: E402
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext  # noqa: E402
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan  # noqa: E402

PLATFORMS = ("frr", "eos", "nxos", "junos")


def best_of(runs, func):
    times = []
    for _run in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def in_process():
    racks, per_rack = 250, 20
    result = build_plan(synthetic(racks * per_rack, racks))
    assert not result.errors, [str(e) for e in result.errors][:3]
    plan = result.plan
    for platform in PLATFORMS:
        for router in plan["tor_routers"].values():
            router["platform"] = platform
        best, median = best_of(5, lambda: tor.render(plan, RenderContext()))
        print(f"render {platform:5s}: {len(plan['tor_routers'])} ToRs, {per_rack} nodes per rack: "
              f"best {best * 1000:.0f} ms, median {median * 1000:.0f} ms (target < 2000 ms)")
    for router in plan["tor_routers"].values():
        router["platform"] = "frr"
    artifact = tor.render(plan, RenderContext())[0].content
    asn = plan["tor_routers"][sorted(plan["tor_routers"])[0]]["asn"]
    foreign = "".join(f" neighbor 172.16.{i // 250}.{i % 250 + 1} remote-as {64000 + i}\n" for i in range(200))
    running = merge("frr version 8.4.4\nfrr defaults traditional\n!\n", artifact, "CALICO-")
    running = running.replace(f"router bgp {asn}\n", f"router bgp {asn}\n" + foreign, 1)
    best, median = best_of(20, lambda: merge(running, artifact, "CALICO-"))
    print(f"merge one FRR router ({len(running.splitlines())} running lines): best {best * 1000:.2f} ms, "
          f"median {median * 1000:.2f} ms")


def site_inventory(tmp, platform, racks=20, nodes=400):
    """The synthetic site (two ToRs per rack) as a YAML inventory with every ToR on ``platform``."""
    import yaml  # pylint: disable=import-outside-toplevel

    path = os.path.join(tmp, f"inventory-{platform}.yml")
    write_inventory(path, nodes, racks)
    with open(path, encoding="utf-8") as handle:
        doc = yaml.safe_load(handle)
    for host in doc["all"]["children"]["tor_routers"]["hosts"].values():
        host["calico_tor_platform"] = platform
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(doc, handle, sort_keys=False)
    return path


def render_playbooks(platforms=("eos", "frr"), runs=5):
    """Median wall time of playbooks/render.yml per platform; runs alternate between platforms
    so that load from other work on the machine hits both alike."""
    times = {platform: [] for platform in platforms}
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
        inventories = {platform: site_inventory(tmp, platform) for platform in platforms}
        for _run in range(runs):
            for platform in platforms:
                out = os.path.join(tmp, f"artifacts-{platform}")
                cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventories[platform],
                       "playbooks/render.yml", "-e", f"calico_artifacts_dir={out}"]
                start = time.perf_counter()
                proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
                times[platform].append(time.perf_counter() - start)
                if proc.returncode != 0:
                    sys.exit("render.yml failed:\n" + proc.stdout[-3000:] + proc.stderr[-2000:])
                assert len(os.listdir(os.path.join(out, "tor"))) == 40
    return {platform: statistics.median(values) for platform, values in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--playbook", action="store_true", help="also time playbooks/render.yml, EOS vs FRR")
    args = parser.parse_args()
    in_process()
    if args.playbook:
        median = render_playbooks()
        print(f"render.yml, 40-ToR site (median of 5, alternating): EOS {median['eos']:.1f} s, FRR {median['frr']:.1f} s, "
              f"ratio {median['eos'] / median['frr']:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
