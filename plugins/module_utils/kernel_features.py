# -*- coding: utf-8 -*-
# Copyright: onprem.calico contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide whether the kernel features Calico needs are present on a host.

Runs on the target, standard library only. The decision is pure (``assess``) and is fed by
readers of /proc/modules, modules.builtin and modules.dep, and by probes that try a feature in a
throw-away network namespace. Probes are used only where ``/lib/modules/<release>`` is absent
(containers, monolithic kernels), because there a module cannot be loaded and the only honest
question is "does the feature work".
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shlex

# States of one module, from best to worst.
LOADED = "loaded"        # listed in /proc/modules
BUILTIN = "builtin"      # listed in modules.builtin
LOADABLE = "loadable"    # listed in modules.dep: modprobe can load it
PROBED = "probed"        # no /lib/modules, but a probe of the feature worked
UNKNOWN = "unknown"      # no /lib/modules and no way to probe (no probe, tool missing)
ABSENT = "absent"        # nowhere to be found, or the probe failed

PRESENT_STATES = (LOADED, BUILTIN, LOADABLE, PROBED)

# Interface name for link probes; the namespace is thrown away, so it never collides.
_PROBE_LINK = "calprobe0"
_PROBE_SET = "calprobe"


# Arguments that exercise one iptables match, appended to a rule in a fresh namespace's table.
MATCH_RULES = {
    "set": ["-A", "INPUT", "-m", "set", "--match-set", _PROBE_SET, "src", "-j", "ACCEPT"],
    "mark": ["-A", "INPUT", "-m", "mark", "--mark", "0x1", "-j", "ACCEPT"],
    "conntrack": ["-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED", "-j", "ACCEPT"],
    "multiport": ["-A", "INPUT", "-p", "tcp", "-m", "multiport", "--dports", "1,2", "-j", "ACCEPT"],
    "rpfilter": ["-t", "raw", "-A", "PREROUTING", "-m", "rpfilter", "--invert", "-j", "DROP"],
    "addrtype": ["-A", "INPUT", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "ACCEPT"],
    "comment": ["-A", "INPUT", "-m", "comment", "--comment", "probe", "-j", "ACCEPT"],
}

# Extra arguments some link types need to be created at all.
LINK_ARGS = {"vxlan": ["id", "4242", "dstport", "4789"]}


def probe_steps(spec):
    """Commands (argv lists) for a probe spec, or None when the spec is unknown.

    Specs, as the plan writes them: link:<type>, ipset, iptables, ip6tables, nftables, conntrack,
    iptables-match:<match>, ip6tables-match:<match>.
    """
    kind, _sep, arg = spec.partition(":")
    if kind == "link" and arg:
        return [["ip", "link", "add", _PROBE_LINK, "type", arg] + LINK_ARGS.get(arg, [])]
    if kind == "ipset":
        return [["ipset", "create", _PROBE_SET, "hash:ip"]]
    if kind in ("iptables", "ip6tables") and not arg:
        return [[kind, "-w", "-A", "INPUT", "-j", "ACCEPT"]]
    if kind == "nftables":
        return [["nft", "add", "table", "inet", _PROBE_SET]]
    if kind == "conntrack":
        return [["iptables", "-w"] + MATCH_RULES["conntrack"]]
    if kind in ("iptables-match", "ip6tables-match") and arg in MATCH_RULES:
        binary = kind.split("-")[0]
        steps = [[binary, "-w"] + MATCH_RULES[arg]]
        if arg == "set":
            steps.insert(0, ["ipset", "create", _PROBE_SET, "hash:ip"] + (["family", "inet6"] if binary == "ip6tables" else []))
        return steps
    return None


# Probe spec by module name, for entries that carry no spec of their own.
MODULE_PROBES = {
    "ipip": "link:ipip",
    "vxlan": "link:vxlan",
    "wireguard": "link:wireguard",
    "ip_set": "ipset",
    "xt_set": "iptables-match:set",
    "ip_tables": "iptables",
    "ip6_tables": "ip6tables",
    "nf_tables": "nftables",
    "nf_conntrack": "conntrack",
    "xt_conntrack": "iptables-match:conntrack",
    "xt_mark": "iptables-match:mark",
    "xt_multiport": "iptables-match:multiport",
    "xt_addrtype": "iptables-match:addrtype",
    "xt_comment": "iptables-match:comment",
    "ipt_rpfilter": "iptables-match:rpfilter",
    "ip6t_rpfilter": "ip6tables-match:rpfilter",
}

# Exit status of a shell for "command not found": the probe could not run, which is not a verdict.
_NOT_FOUND = 127

# What to tell the user, by feature, when a required module is missing.
_EXTRA_MODULES_FIX = ("install the kernel's extra modules package (linux-modules-extra-$(uname -r) on Ubuntu, "
                      "kernel-modules-extra on RHEL/Rocky/Alma) and load it, or boot a kernel that has it")
FIXES = {
    "ipip": _EXTRA_MODULES_FIX + ", or choose another encapsulation (calico_encapsulation: vxlan)",
    "vxlan": _EXTRA_MODULES_FIX + ", or choose another encapsulation (calico_encapsulation: ipip or none)",
    "wireguard": _EXTRA_MODULES_FIX + " (or the wireguard package), or turn WireGuard off (calico_wireguard: false)",
}


def normalize(name):
    """Kernel module names treat '-' and '_' alike; /proc/modules uses '_'."""
    return name.strip().replace("-", "_")


def parse_proc_modules(text):
    """Names of loaded modules from the text of /proc/modules."""
    names = set()
    for line in text.splitlines():
        fields = line.split()
        if fields:
            names.add(normalize(fields[0]))
    return names


def _module_name_from_path(path):
    base = os.path.basename(path.strip())
    for suffix in (".ko", ".ko.xz", ".ko.zst", ".ko.gz"):
        if base.endswith(suffix):
            return normalize(base[: -len(suffix)])
    return None


def parse_modules_builtin(text):
    """Names of built-in modules from modules.builtin (one kernel/.../name.ko per line)."""
    names = set()
    for line in text.splitlines():
        name = _module_name_from_path(line)
        if name:
            names.add(name)
    return names


def parse_modules_dep(text):
    """Names of loadable modules from modules.dep ("path/name.ko: deps...")."""
    names = set()
    for line in text.splitlines():
        path = line.split(":", 1)[0]
        name = _module_name_from_path(path)
        if name:
            names.add(name)
    return names


def probe_command(module, spec=None):
    """One command that tries the module's feature in a throw-away network namespace, or None
    when no probe is known. `unshare --net` gives a namespace that dies with the command, so the
    host's links, sets and rules are never touched."""
    spec = spec or MODULE_PROBES.get(normalize(module))
    steps = probe_steps(spec) if spec else None
    if not steps:
        return None
    script = " && ".join(" ".join(shlex.quote(arg) for arg in step) for step in steps)
    return ["unshare", "--net", "sh", "-c", script]


def assess(modules, loaded, builtin, loadable, lib_modules_present, run_probe):
    """Decide the state of each requested module.

    modules: list of dicts {name, feature, needed_for, required, probe} (the plan's kernel_modules).
    loaded, builtin, loadable: sets of module names.
    lib_modules_present: whether /lib/modules/<release> exists (modprobe can work).
    run_probe: callable(argv) -> (rc, stderr); only called without /lib/modules.
    Returns a list of result dicts, in the order given.
    """
    results = []
    for entry in modules:
        name = normalize(entry["name"])
        result = {
            "name": name,
            "feature": entry.get("feature"),
            "needed_for": entry.get("needed_for"),
            "required": bool(entry.get("required", True)),
            "probe": entry.get("probe"),
            "detail": "",
        }
        if name in loaded:
            result["state"] = LOADED
        elif name in builtin:
            result["state"] = BUILTIN
        elif lib_modules_present:
            result["state"] = LOADABLE if name in loadable else ABSENT
            if result["state"] == ABSENT:
                result["detail"] = "not in /proc/modules, modules.builtin or modules.dep"
        else:
            argv = probe_command(name, entry.get("probe"))
            if argv is None:
                result["state"] = UNKNOWN
                result["detail"] = "no /lib/modules and no probe for this module"
            else:
                rc, err = run_probe(argv)
                if rc == 0:
                    result["state"] = PROBED
                elif rc == _NOT_FOUND:
                    result["state"] = UNKNOWN
                    result["detail"] = "probe tool missing: " + (err or "").strip()
                else:
                    result["state"] = ABSENT
                    first_line = (err or "").strip().splitlines()[:1]
                    result["detail"] = "probe failed: " + (first_line[0] if first_line else "exit %d" % rc)
        results.append(result)
    return results


def missing_message(result):
    """The sentence for a required module that is absent: module, feature, why, fix."""
    fix = FIXES.get(result.get("feature") or "", _EXTRA_MODULES_FIX)
    text = "kernel module '%s' is missing" % result["name"]
    if result.get("feature"):
        text += " (feature %s)" % result["feature"]
    if result.get("needed_for"):
        text += ", needed for %s" % result["needed_for"]
    if result.get("detail"):
        text += " [%s]" % result["detail"]
    return text + ". Fix: " + fix + "."


def summarize(results):
    """Split results into what must fail the host and what deserves a warning."""
    missing = [r for r in results if r["state"] == ABSENT and r["required"]]
    warnings = []
    for r in results:
        if r["state"] == ABSENT and not r["required"]:
            warnings.append("optional " + missing_message(r))
        elif r["state"] == UNKNOWN:
            warnings.append("kernel module '%s' (%s) could not be checked: %s"
                            % (r["name"], r.get("feature") or "?", r["detail"]))
    return {
        "missing": [dict(r, message=missing_message(r)) for r in missing],
        "warnings": warnings,
        "to_load": [r["name"] for r in results if r["state"] == LOADABLE],
    }


def read_text(path):
    """File contents, or None when it does not exist or cannot be read."""
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None
