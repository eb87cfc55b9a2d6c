"""Plan + preflight time for synthetic inventories, and render.yml on generated inventories.

    python benchmarks/plan_bench.py            # in-process: 100, 1,000 and 5,000 nodes
    python benchmarks/plan_bench.py --playbook # also render.yml on 2,000 and 5,000 nodes
    python benchmarks/plan_bench.py --rack-pools  # the same inventories with a /20 pool per rack
    python benchmarks/plan_bench.py --digest      # sha256 of each plan: run on two commits to show
                                                  # that a speed-up left the plans byte-identical

Targets: 5,000 nodes planned and validated in under 1 s in-process, growing linearly (the
printed 5,000/1,000 ratio should stay near 5); ``ansible-playbook playbooks/render.yml`` under
twice ``ansible-inventory --list`` on the same inventory, timed in the same run (Ansible's own
floor: loading the inventory and every host's variables).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, ".collections"))
sys.path.insert(0, os.path.join(REPO, "tests"))

from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import InventoryInput  # noqa: E402
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan  # noqa: E402


def synthetic(nodes: int, racks: int, rack_pools: bool = False) -> InventoryInput:
    """ToR as_per_rack design: ``racks`` racks, nodes spread evenly, two ToRs per rack; with
    ``rack_pools`` a /20 pool per rack (1,024 of them fit the /10), forecast for every rack."""
    per_rack = -(-nodes // racks)
    cluster = {
        "calico_cluster_name": "bench",
        "calico_bgp_mode": "tor",
        "calico_tor_design": "as_per_rack",
        "calico_encapsulation": "none",
        "calico_pod_cidr": "100.64.0.0/10",
        "calico_block_size": 26,
        "calico_racks": {},
    }
    groups = {"k8s_cluster": [], "kube_control_plane": [], "kube_node": [], "tor_routers": []}
    hosts = {}
    for r in range(racks):
        rack = "rack%03d" % r
        subnet = "10.%d.%d.0/23" % (r // 100, (r % 100) * 2)
        base = (r // 100, (r % 100) * 2)
        tors = ["%s-tor%s" % (rack, x) for x in "ab"]
        cluster["calico_racks"][rack] = {"asn": 65000 + r, "subnets": [subnet], "tor_routers": tors}
        if rack_pools:
            cluster["calico_racks"][rack]["index"] = r
        for i, t in enumerate(tors):
            groups["tor_routers"].append(t)
            hosts[t] = {
                "calico_tor_platform": "frr",
                "calico_tor_asn": 65000 + r,
                "calico_tor_router_id": "10.255.%d.%d" % (r // 250, r % 250 + i),
                "calico_tor_peer_ip": "10.%d.%d.%d" % (base[0], base[1], 2 + i),
            }
        for i in range(per_rack):
            n = r * per_rack + i
            if n >= nodes:
                break
            name = "node%05d" % n
            groups["k8s_cluster"].append(name)
            groups["kube_control_plane" if n < 3 else "kube_node"].append(name)
            hosts[name] = {"ansible_host": "10.%d.%d.%d" % (base[0], base[1] + (10 + i) // 256, (10 + i) % 256), "calico_rack": rack}
    if rack_pools:
        cluster["calico_rack_pool_prefix_length"] = 20
    return InventoryInput(cluster=cluster, groups=groups, hosts=hosts)


def time_plan(nodes: int, racks: int, repeat: int = 5, rack_pools: bool = False) -> tuple[float, float]:
    """(wall, CPU) seconds, medians: on a machine shared with other work the wall time grows
    with the load average, the process's CPU time much less, so both are printed."""
    inv = synthetic(nodes, racks, rack_pools)
    walls, cpus = [], []
    for _run in range(repeat):
        gc.collect()  # start each run from the same heap state
        start, start_cpu = time.perf_counter(), time.process_time()
        result = build_plan(inv)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
        assert result.ok, [str(e) for e in result.errors][:5]
    return statistics.median(walls), statistics.median(cpus)


def write_inventory(path: str, nodes: int, racks: int) -> None:
    """The same synthetic design as an Ansible YAML inventory (host ranges per rack)."""
    import yaml  # pylint: disable=import-outside-toplevel

    inv = synthetic(nodes, racks)
    doc = {
        "all": {
            "vars": dict(
                inv.cluster,
                calico_manifest_mirror=os.environ.get("CALICO_UPSTREAM_DIR", os.path.join(os.path.dirname(REPO), "shared", "upstream", "calico")),
            ),
            "children": {},
        }
    }
    children = doc["all"]["children"]
    children["k8s_cluster"] = {
        "children": {
            "kube_control_plane": {"hosts": {h: inv.hosts[h] for h in inv.groups["kube_control_plane"]}},
            "kube_node": {"hosts": {h: inv.hosts[h] for h in inv.groups["kube_node"]}},
        }
    }
    children["tor_routers"] = {"hosts": {h: inv.hosts[h] for h in inv.groups["tor_routers"]}}
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(doc, handle, sort_keys=False)


def _timed(cmd: list[str], what: str) -> float:
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit("%s failed:\n%s%s" % (what, proc.stdout[-3000:], proc.stderr[-2000:]))
    return elapsed


def time_playbook(nodes: int, racks: int) -> tuple[float, float]:
    """(render.yml, ansible-inventory --list) wall seconds on the same generated inventory."""
    bindir = os.path.dirname(sys.executable)
    with tempfile.TemporaryDirectory() as tmp:
        inv = os.path.join(tmp, "inventory.yml")
        write_inventory(inv, nodes, racks)
        floor = _timed([os.path.join(bindir, "ansible-inventory"), "-i", inv, "--list", "--output", os.path.join(tmp, "list.json")], "ansible-inventory")
        render = _timed(
            [os.path.join(bindir, "ansible-playbook"), "-i", inv, "playbooks/render.yml", "-e", "calico_artifacts_dir=%s/artifacts" % tmp],
            "render.yml",
        )
        return render, floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--playbook", action="store_true", help="also time playbooks/render.yml against ansible-inventory --list")
    parser.add_argument("--playbook-nodes", type=int, nargs="+", default=[2000, 5000])
    parser.add_argument("--rack-pools", action="store_true", help="a pool per rack (forecast per rack, aggregates per ToR)")
    parser.add_argument("--digest", action="store_true", help="print the sha256 of each plan (sorted JSON) instead of timing")
    args = parser.parse_args()
    if args.digest:
        for nodes, racks in ((1000, 50), (5000, 250)):
            plan = build_plan(synthetic(nodes, racks, args.rack_pools)).plan
            print("plan %5d nodes, %3d racks%s: sha256 %s" % (nodes, racks, ", rack pools" if args.rack_pools else "",
                                                              hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()))
        return
    results = {}
    print("load average %.2f %.2f %.2f" % os.getloadavg())
    for nodes, racks in ((100, 5), (1000, 50), (5000, 250)):
        results[nodes], cpu = time_plan(nodes, racks, rack_pools=args.rack_pools)
        print("plan+preflight %5d nodes, %3d racks%s: %7.1f ms wall, %7.1f ms CPU (medians of 5)" % (
            nodes, racks, ", rack pools" if args.rack_pools else "", results[nodes] * 1000, cpu * 1000))
    print("ratio 5,000/1,000 nodes: %.2f (linear = 5.0)" % (results[5000] / results[1000]))
    print("target 5,000 nodes < 1 s: %s" % ("met" if results[5000] < 1.0 else "MISSED"))
    for nodes in args.playbook_nodes if args.playbook else []:
        racks = max(1, nodes // 20)
        render, floor = time_playbook(nodes, racks)
        print(
            "%d nodes, %d racks: playbooks/render.yml %.1f s, ansible-inventory --list %.1f s, ratio %.2f (target < 2: %s)"
            % (nodes, racks, render, floor, render / floor, "met" if render / floor < 2 else "MISSED")
        )


if __name__ == "__main__":
    main()
