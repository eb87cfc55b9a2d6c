"""Lifecycle of the built-in lab (docs/lab.md): images, podman networks, systemd containers.

    .venv/bin/python lab/lab.py up      [-i inventory/lab]   build images if needed, create/start everything,
                                            then run playbooks/lab/prepare.yml (the spine's and
                                            ToRs' pre-existing configuration; a reset when
                                            LAB_DESIGN names another design than last time)
    .venv/bin/python lab/lab.py down    [-i inventory/lab]   remove the containers and networks
    .venv/bin/python lab/lab.py status  [-i inventory/lab]   show what exists

The topology (hosts, racks, addresses, networks) is read from the inventory with
``ansible-inventory``, so the inventory is the only place it is written down. ``-i`` may be given
more than once, as to ansible-playbook: ``-i inventory/lab -i inventory/lab-scale-out/node.yml``
adds the containers of the extra source (a node added by a scale out, tests/e2e/test_lab_scale_out.py). Every step is
idempotent: ``up`` on a running lab changes nothing and takes seconds.

Lab scaffolding only: nothing in the collection imports this file.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import ipaddress
import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE_SCRIPT = os.path.join(REPO, "tests", "images", "build-image.sh")
CONTAINERS_CONF = os.path.join(REPO, "tests", "images", "containers.conf")
LAB_LABEL = "org.onprem-calico.lab"

# Image name -> build-image.sh arguments on top of the base systemd image. Nodes get what the
# host role would otherwise download (so a converge needs no mirror) plus BIRD 1.6 (Debian's
# "bird", the generation calico-node is built on) for the calico-node stand-in, which runs its
# own units on calico-node's sockets: Debian's bird/bird6 units would hold port 179. ToRs and the
# spine run FRR.
IMAGES = {
    "calico-lab-node": {"packages": ["bird", "nftables", "ipset", "conntrack", "iptables", "util-linux"],
                        "disable": ["bird.service", "bird6.service"]},
    "calico-lab-tor": {"packages": ["frr", "frr-pythontools"], "disable": []},
}


class LabError(Exception):
    pass


def run(argv, check=True, capture=True):
    env = dict(os.environ)
    env.setdefault("CONTAINERS_CONF", CONTAINERS_CONF)
    proc = subprocess.run(argv, env=env, text=True, capture_output=capture, check=False)
    if check and proc.returncode != 0:
        output = ((proc.stderr or "") + (proc.stdout or "")).strip()[-2000:]
        raise LabError("%s failed (rc=%d): %s" % (" ".join(argv[:3]), proc.returncode, output))
    return proc


def inventory_args(inventories):
    return [arg for inventory in inventories for arg in ("-i", inventory)]


def load_topology(inventories):
    """Containers and networks of the lab, from the inventory sources."""
    ansible_inventory = os.path.join(os.path.dirname(sys.executable), "ansible-inventory")
    if not os.path.exists(ansible_inventory):
        ansible_inventory = "ansible-inventory"
    data = json.loads(run([ansible_inventory] + inventory_args(inventories) + ["--list"]).stdout)
    hostvars = data["_meta"]["hostvars"]

    def members(group):
        seen, todo = [], [group]
        while todo:
            entry = data.get(todo.pop(), {})
            seen += entry.get("hosts", [])
            todo += entry.get("children", [])
        return sorted(set(seen))

    nodes, tors, spines = members("k8s_cluster"), members("tor_routers"), members("lab_spines")
    if not nodes or not tors:
        raise LabError("%s: the lab inventory needs hosts in k8s_cluster and tor_routers" % " ".join(inventories))
    any_vars = hostvars[nodes[0]]
    networks = {name: list(subnets) for name, subnets in any_vars["lab_networks"].items()}
    prefix = any_vars["lab_container_prefix"]
    fabric, l2 = any_vars["lab_fabric_network"], any_vars["lab_l2_network"]
    containers = []
    for host in nodes + tors + spines:
        hv = hostvars[host]
        if host in nodes:
            # Every node sits on its rack network and on the l2 network, so the designs switch
            # from ToR peering to a flat L2 cluster on the same containers.
            nets = [(hv["lab_network"], hv["lab_rack_ip"], hv.get("lab_rack_ip6")), (l2, hv["lab_l2_ip"], None)]
        elif host in tors:
            nets = [(hv["lab_network"], hv["calico_tor_peer_ip"], hv.get("lab_rack_ip6")),
                    (fabric, hv["lab_fabric_ip"], hv.get("lab_fabric_ip6"))]
        else:
            nets = [(fabric, hv["lab_fabric_ip"], hv.get("lab_fabric_ip6"))]
        for net, _address, _address6 in nets:
            if net not in networks:
                raise LabError("%s: network %s is not in lab_networks" % (host, net))
        routers = host not in nodes
        containers.append({
            "host": host,
            "name": prefix + host,
            "image": "localhost/%s:latest" % ("calico-lab-tor" if routers else "calico-lab-node"),
            "networks": nets,
            # Routers forward between the rack and the fabric from the start; nodes get their
            # sysctls from the calico_host role like any real node.
            "sysctls": ["net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"] if routers else [],
        })
    return {"networks": networks, "containers": containers}


def design_args(design):
    """ansible-playbook arguments of a design (inventory/lab-designs/<design>.yml, as lab/design.sh):
    prepare.yml resets the routers and nodes when the design changes."""
    base = os.path.join(REPO, "inventory", "lab-designs", design)
    if not os.path.exists(base + ".yml"):
        raise LabError("LAB_DESIGN=%s: no %s.yml" % (design, base))
    return ["-e", "@%s.yml" % base] + (["-i", base + ".hosts.yml"] if os.path.exists(base + ".hosts.yml") else [])


def build_images():
    for name, recipe in IMAGES.items():
        disable = [arg for unit in recipe["disable"] for arg in ("--disable", unit)]
        run(["bash", IMAGE_SCRIPT] + disable + [name] + recipe["packages"], capture=False)


def image_id(ref):
    return run(["podman", "image", "inspect", "--format", "{{.Id}}", ref]).stdout.strip()


def network_subnets(name):
    """The subnets of an existing podman network, or None when it does not exist."""
    proc = run(["podman", "network", "inspect", "--format", "{{range .Subnets}}{{.Subnet}} {{end}}", name], check=False)
    return sorted(str(ipaddress.ip_network(s)) for s in proc.stdout.split()) if proc.returncode == 0 else None


def stale_networks(networks):
    """Existing lab networks whose subnets differ from the inventory's (a lab made before the
    topology changed): podman cannot change a network's subnets in place."""
    return [name for name, subnets in sorted(networks.items())
            if network_subnets(name) not in (None, sorted(str(ipaddress.ip_network(s)) for s in subnets))]


def ensure_networks(networks):
    for name, subnets in sorted(networks.items()):
        if run(["podman", "network", "exists", name], check=False).returncode == 0:
            continue
        # Internal: no gateway and no route to the host, so a machine's routes are the ones BGP
        # gives it (and a leaked default would show). No DNS: everything is addressed by IP.
        argv = ["podman", "network", "create", "--internal", "--disable-dns", "--label", LAB_LABEL + "=1"]
        for subnet in subnets:
            argv += ["--subnet", subnet]
        if any(":" in subnet for subnet in subnets):
            argv.append("--ipv6")
        run(argv + [name])
        print("created network %s (%s)" % (name, ", ".join(subnets)))


def container_state(name):
    proc = run(["podman", "container", "inspect", "--format", "{{.State.Status}} {{.Image}}", name], check=False)
    if proc.returncode != 0:
        return None, None
    status, image = proc.stdout.split()
    return status, image


def ensure_container(spec):
    name = spec["name"]
    status, image = container_state(name)
    wanted = image_id(spec["image"])
    if status is not None and image != wanted:
        print("%s: image changed, recreating" % name)
        run(["podman", "rm", "-f", name])
        status = None
    if status == "running":
        return "running"
    if status is not None:
        run(["podman", "start", name])
        return "started"
    argv = ["podman", "run", "-d", "--name", name, "--hostname", spec["host"],
            "--privileged", "--systemd=always", "--label", LAB_LABEL + "=1"]
    for net, ip, ip6 in spec["networks"]:
        argv += ["--network", "%s:ip=%s%s" % (net, ip, ",ip6=%s" % ip6 if ip6 else "")]
    for sysctl in spec["sysctls"]:
        argv += ["--sysctl", sysctl]
    argv += [spec["image"], "/sbin/init"]
    run(argv)
    return "created"


def wait_booted(name, timeout=120):
    deadline = time.time() + timeout
    while True:
        proc = run(["podman", "exec", name, "systemctl", "is-system-running", "--wait"], check=False)
        state = proc.stdout.strip()
        if state in ("running", "degraded"):
            return state
        if time.time() > deadline:
            raise LabError("%s did not finish booting in %ss (systemd says %r)" % (name, timeout, state))
        time.sleep(1)


def up(inventories, prepare=True):
    topo = load_topology(inventories)
    build_images()
    stale = stale_networks(topo["networks"])
    if stale:
        print("networks %s changed in the inventory: recreating the lab" % ", ".join(stale))
        down(inventories)
    ensure_networks(topo["networks"])
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(topo["containers"])) as pool:
        states = list(pool.map(ensure_container, topo["containers"]))
        for spec, state in zip(topo["containers"], states):
            print("%-24s %s" % (spec["name"], state))
        list(pool.map(lambda spec: wait_booted(spec["name"]), topo["containers"]))
    if prepare:
        playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
        if not os.path.exists(playbook):
            playbook = "ansible-playbook"
        env = dict(os.environ)
        env.setdefault("CONTAINERS_CONF", CONTAINERS_CONF)
        proc = subprocess.run([playbook] + inventory_args(inventories) + design_args(os.environ.get("LAB_DESIGN") or "as_per_rack")
                              + [os.path.join(REPO, "playbooks", "lab", "prepare.yml")], env=env, cwd=REPO, check=False)
        if proc.returncode != 0:
            raise LabError("playbooks/lab/prepare.yml failed (rc=%d)" % proc.returncode)


def down(inventories):
    topo = load_topology(inventories)
    names = [c["name"] for c in topo["containers"]]
    existing = [n for n in names if container_state(n)[0] is not None]
    if existing:
        run(["podman", "rm", "-f", "-t", "0"] + existing)
        print("removed %s" % " ".join(existing))
    for name in sorted(topo["networks"]):
        if run(["podman", "network", "exists", name], check=False).returncode == 0:
            run(["podman", "network", "rm", "-f", name])
            print("removed network %s" % name)


def status(inventories):
    topo = load_topology(inventories)
    for spec in topo["containers"]:
        state = container_state(spec["name"])[0] or "absent"
        print("%-24s %-10s %s" % (spec["name"], state, " ".join("%s=%s" % (n[0], n[1]) for n in spec["networks"])))
    return all(container_state(c["name"])[0] == "running" for c in topo["containers"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("-i", "--inventory", action="append",
                        help="inventory source, repeatable (default: inventory/lab)")
    parser.add_argument("--no-prepare", action="store_true", help="up: skip playbooks/lab/prepare.yml")
    args = parser.parse_args(argv)
    inventories = args.inventory or [os.path.join(REPO, "inventory", "lab")]
    if os.geteuid() != 0:
        print("lab.py: the lab needs root (debootstrap, privileged containers)", file=sys.stderr)
        return 1
    try:
        if args.action == "up":
            up(inventories, prepare=not args.no_prepare)
        elif args.action == "down":
            down(inventories)
        else:
            return 0 if status(inventories) else 3
    except LabError as err:
        print("lab.py: %s" % err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
