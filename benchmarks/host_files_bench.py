"""No-op cost of the calico_host role's own files: a template task per file (how the role wrote
them before) against one calico_host_files run per concern (how it writes them now).

Usage (root, podman, the molecule image from `make host-image`):
    .venv/bin/python benchmarks/host_files_bench.py [--hosts 6] [--repeat 5]

Starts ``--hosts`` throw-away containers of localhost/onprem-calico-host (no network but their
own, NET_ADMIN for ``nft -c``, names unique to this run, removed at the end; not the shared lab),
reached through the lab's pipelined connection (lab/connection_plugins/lab_podman.py, one ``podman exec`` per module run, like SSH with
pipelining on a fleet). Both variants write the same four things of a real plan (the modules-load.d
drop-in, the nftables directory, table and unit, the table checked with ``nft -c``); after one
converge every run is a no-op. Prints the median wall time of ``--repeat`` no-op runs of each
variant, alternating, and the load average.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, ".collections"))

from ansible_collections.onprem.calico.plugins.plugin_utils.inventory import InventoryInput  # noqa: E402
from ansible_collections.onprem.calico.plugins.plugin_utils.plan import build_plan  # noqa: E402

ROLE = os.path.join(REPO, "roles", "calico_host")
IMAGE = "localhost/onprem-calico-host:latest"

COMMON = """
- hosts: bench
  gather_facts: false
  vars_files: [{role}/defaults/main.yml, {role}/vars/main.yml, {role}/vars/Debian.yml]
  vars:
    calico_host_is_node: true
    calico_host_rules: "{{{{ calico_plan.host_preparation.firewall_rules | selectattr('group', 'in', group_names) | list }}}}"
    calico_host_kernel:
      modules: "{{{{ calico_plan.host_preparation.kernel_modules | map('combine', {{'state': 'loaded'}}) | list }}}}"
  tasks:
"""

# The role's tasks before this change: one template per file and a directory task.
TEMPLATES = """
    - ansible.builtin.template:
        src: {role}/templates/etc/modules-load.d/calico.conf.j2
        dest: "{{{{ calico_host_modules_load_file }}}}"
        owner: root
        group: root
        mode: "0644"
    - ansible.builtin.file:
        path: "{{{{ calico_host_nftables_file | dirname }}}}"
        state: directory
        owner: root
        group: root
        mode: "0755"
    - ansible.builtin.template:
        src: {role}/templates/etc/nftables.d/onprem-calico.nft.j2
        dest: "{{{{ calico_host_nftables_file }}}}"
        owner: root
        group: root
        mode: "0644"
        validate: "{{{{ calico_host_os_nft_binary }}}} -c -f %s"
    - ansible.builtin.template:
        src: {role}/templates/etc/systemd/system/onprem-calico-nftables.service.j2
        dest: "/etc/systemd/system/{{{{ calico_host_nftables_unit }}}}"
        owner: root
        group: root
        mode: "0644"
"""

# The role's tasks now (node_dropins.yml, firewall_nftables.yml).
HOST_FILES = """
    - onprem.calico.calico_host_files:
        files:
          - path: "{{{{ calico_host_modules_load_file }}}}"
            content: "{{{{ lookup('ansible.builtin.template', '{role}/templates/etc/modules-load.d/calico.conf.j2') }}}}"
    - onprem.calico.calico_host_files:
        files:
          - path: "{{{{ calico_host_nftables_file }}}}"
            content: "{{{{ lookup('ansible.builtin.template', '{role}/templates/etc/nftables.d/onprem-calico.nft.j2') }}}}"
            validate: "{{{{ calico_host_os_nft_binary }}}} -c -f %s"
          - path: "/etc/systemd/system/{{{{ calico_host_nftables_unit }}}}"
            content: "{{{{ lookup('ansible.builtin.template', '{role}/templates/etc/systemd/system/onprem-calico-nftables.service.j2') }}}}"
"""


def bench_plan(hosts):
    cluster = {"calico_cluster_name": "bench", "calico_pod_cidr": "10.244.0.0/16", "calico_encapsulation": "vxlan",
               "calico_node_subnets": ["10.0.1.0/24"], "calico_datastore": "kubernetes"}
    inventory_hosts = {name: {"ansible_host": "10.0.1.%d" % (11 + index)} for index, name in enumerate(hosts)}
    groups = {"k8s_cluster": hosts, "kube_control_plane": hosts[:1], "kube_node": hosts[1:]}
    result = build_plan(InventoryInput(cluster=cluster, groups=groups, hosts=inventory_hosts))
    if result.errors:
        raise SystemExit("plan: %s" % [str(e) for e in result.errors])
    return result.plan


def run_playbook(work, playbook):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".collections"))
    ansible_playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    start = time.monotonic()
    proc = subprocess.run([ansible_playbook, "-i", os.path.join(work, "inventory.yml"), "-e", "@" + os.path.join(work, "vars.json"),
                           os.path.join(work, playbook)], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (playbook, proc.stdout[-3000:] + proc.stderr[-2000:]))
    changed = sum(int(part.split("=")[1]) for line in proc.stdout.splitlines() if " : ok=" in line
                  for part in line.split() if part.startswith("changed="))
    return elapsed, changed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--hosts", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    names = ["onprem-calico-hostfiles-bench-%d-%d" % (os.getpid(), index) for index in range(args.hosts)]
    work = tempfile.mkdtemp(prefix="host-files-bench.")
    try:
        for name in names:
            subprocess.run(["podman", "run", "-d", "--rm", "--network", "none", "--cap-add", "NET_ADMIN", "--name", name, IMAGE, "sleep", "infinity"],
                           check=True, capture_output=True)
        with open(os.path.join(work, "inventory.yml"), "w") as handle:
            json.dump({"k8s_cluster": {"children": {"bench": {"hosts": {name: {
                "ansible_connection": "lab_podman", "ansible_python_interpreter": "/usr/bin/python3"} for name in names}}}}}, handle)
        with open(os.path.join(work, "vars.json"), "w") as handle:
            json.dump({"calico_plan": bench_plan(names)}, handle)
        for name, tasks in (("templates.yml", TEMPLATES), ("host_files.yml", HOST_FILES)):
            with open(os.path.join(work, name), "w") as handle:
                handle.write((COMMON + tasks).format(role=ROLE))
        print("host files benchmark: %d hosts, %d cores, load average %s"
              % (args.hosts, os.cpu_count(), " ".join(open("/proc/loadavg").read().split()[:3])))
        first, _changed = run_playbook(work, "host_files.yml")
        print("first converge (calico_host_files): %.1f s" % first)
        times = {"templates.yml": [], "host_files.yml": []}
        for _repeat in range(args.repeat):
            for playbook in times:
                elapsed, changed = run_playbook(work, playbook)
                if changed:
                    raise SystemExit("%s reported changed=%d on a no-op run" % (playbook, changed))
                times[playbook].append(elapsed)
        for playbook, label in (("templates.yml", "template per file (before)"), ("host_files.yml", "calico_host_files (now)")):
            runs = ", ".join("%.1f" % t for t in times[playbook])
            print("no-op, %s: median %.1f s (runs: %s)" % (label, statistics.median(times[playbook]), runs))
        print("load average after: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0"] + names, capture_output=True, check=False)


if __name__ == "__main__":
    main()
