# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What calico-node leaves on a node once Calico is gone, found and removed.

Runs on the node (standard library only). calico-node's init containers copy the CNI plugin
and its configuration onto the host, Felix programs ``cali-*`` iptables chains (or a ``calico``
nftables table), BIRD leaves its routes in the kernel when it stops (``persist``), and Felix
creates the tunnel devices. None of that goes away with the DaemonSet.

Every command goes through ``run(argv) -> (rc, stdout, stderr)`` so the logic is tested with
real commands in a network namespace and without Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import shlex
import shutil

# Devices Felix creates. tunl0 is special: the kernel creates it with the ipip module and it
# cannot be deleted, so it is emptied and set down instead.
CALICO_DEVICES = ("vxlan.calico", "vxlan-v6.calico", "wireguard.cali", "wg-v6.cali")
FALLBACK_TUNNEL = "tunl0"
CHAIN_PREFIX = "cali-"
# Felix's nftables data plane keeps everything in one table per family.
NFT_TABLES = (("ip", "calico"), ("ip6", "calico"))
IPTABLES_TOOLS = ("iptables-legacy", "iptables-nft", "ip6tables-legacy", "ip6tables-nft")


class LeftoverError(Exception):
    """A leftover could not be removed; the message names it."""


def _json(run, argv):
    rc, out, err = run(argv)
    if rc != 0:
        raise LeftoverError("%s failed: %s" % (" ".join(argv), (err or out).strip()))
    return json.loads(out or "[]")


def find_paths(patterns):
    """Existing files and directories matching the shell patterns, sorted."""
    found = set()
    for pattern in patterns:
        found.update(path for path in glob.glob(pattern) if os.path.lexists(path))
    return sorted(found)


def iptables_cleanup(save_output):
    """``iptables-restore --noflush`` input removing every ``cali-*`` chain and the jumps to them.

    Returns (restore text, [table/chain names]) or ("", []) when nothing is there. Rules of other
    chains that jump to a cali chain are deleted one by one; then every cali chain is flushed
    before any is deleted (they jump to each other).
    """
    tables = []
    table = None
    for line in save_output.splitlines():
        if line.startswith("*"):
            table = {"name": line[1:], "chains": [], "jumps": []}
            tables.append(table)
        elif table is None:
            continue
        elif line.startswith(":") and line[1:].startswith(CHAIN_PREFIX):
            table["chains"].append(line[1:].split()[0])
        elif line.startswith("-A "):
            words = shlex.split(line)
            chain = words[1]
            targets = [words[i + 1] for i, word in enumerate(words[:-1]) if word in ("-j", "-g", "--jump", "--goto")]
            if not chain.startswith(CHAIN_PREFIX) and any(t.startswith(CHAIN_PREFIX) for t in targets):
                table["jumps"].append("-D" + line[2:])
    text, names = [], []
    for table in tables:
        if not table["chains"] and not table["jumps"]:
            continue
        text.append("*" + table["name"])
        text += table["jumps"]
        text += ["-F " + chain for chain in table["chains"]]
        text += ["-X " + chain for chain in table["chains"]]
        text.append("COMMIT")
        names += ["%s/%s" % (table["name"], chain) for chain in table["chains"]]
    return ("\n".join(text) + "\n" if text else ""), names


def _iptables_tools(which):
    """The iptables variants installed here (legacy and nft keep separate rule sets)."""
    return [tool for tool in IPTABLES_TOOLS if which(tool + "-save") and which(tool + "-restore")]


def assess(run, which, paths, devices=CALICO_DEVICES):
    """Everything there is to remove: {paths, chains, nft_tables, routes, devices, tunl0}."""
    found = {"paths": find_paths(paths), "chains": {}, "nft_tables": [], "routes": [], "devices": [], "tunl0": False}
    for tool in _iptables_tools(which):
        rc, out, err = run([tool + "-save"])
        if rc != 0:
            raise LeftoverError("%s-save failed: %s" % (tool, (err or out).strip()))
        restore, names = iptables_cleanup(out)
        if names or restore:
            found["chains"][tool] = {"restore": restore, "names": names}
    if which("nft"):
        rc, out, _err = run(["nft", "-j", "list", "tables"])
        if rc == 0:
            listed = {(t["table"]["family"], t["table"]["name"]) for t in json.loads(out or "{}").get("nftables", []) if "table" in t}
            found["nft_tables"] = [" ".join(table) for table in NFT_TABLES if table in listed]
    for family in ("-4", "-6"):
        for route in _json(run, ["ip", "-j", family, "route", "show", "table", "all", "proto", "bird"]):
            found["routes"].append({"family": family, "dst": route["dst"], "table": str(route.get("table", "main"))})
    links = {link["ifname"]: link for link in _json(run, ["ip", "-j", "-d", "addr", "show"])}
    found["devices"] = [name for name in devices if name in links]
    tunnel = links.get(FALLBACK_TUNNEL)
    found["tunl0"] = bool(tunnel and ("UP" in tunnel.get("flags", []) or tunnel.get("addr_info")))
    return found


def is_empty(found):
    return not (found["paths"] or found["chains"] or found["nft_tables"] or found["routes"] or found["devices"] or found["tunl0"])


def _check(run, argv, stdin=None):
    rc, out, err = run(argv) if stdin is None else run(argv, stdin)
    if rc != 0:
        raise LeftoverError("%s failed: %s" % (" ".join(argv), (err or out).strip()))


def remove(run, found):
    """Remove what ``assess`` found: routes and devices first (traffic stops), then rules, files."""
    for route in found["routes"]:
        argv = ["ip", route["family"], "route", "del", route["dst"], "proto", "bird"]
        if route["table"] != "main":
            argv += ["table", route["table"]]
        _check(run, argv)
    for name in found["devices"]:
        _check(run, ["ip", "link", "del", name])
    if found["tunl0"]:
        _check(run, ["ip", "addr", "flush", "dev", FALLBACK_TUNNEL])
        _check(run, ["ip", "link", "set", FALLBACK_TUNNEL, "down"])
    for tool, chains in sorted(found["chains"].items()):
        _check(run, [tool + "-restore", "--noflush"], chains["restore"])
    for table in found["nft_tables"]:
        _check(run, ["nft", "delete", "table"] + table.split())
    for path in found["paths"]:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)


def summary(found):
    """What was (or would be) removed, as one line per item (for diff and the result)."""
    lines = ["path %s" % p for p in found["paths"]]
    for tool, chains in sorted(found["chains"].items()):
        lines += ["%s chain %s" % (tool, name) for name in chains["names"]]
    lines += ["nft table %s" % t for t in found["nft_tables"]]
    lines += ["route %s %s (proto bird, table %s)" % (r["family"], r["dst"], r["table"]) for r in found["routes"]]
    lines += ["device %s" % d for d in found["devices"]]
    if found["tunl0"]:
        lines.append("device %s: addresses flushed, set down (the kernel keeps it)" % FALLBACK_TUNNEL)
    return lines
