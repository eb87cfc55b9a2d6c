# -*- coding: utf-8 -*-
# Copyright: onprem.calico contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Own one sysctl drop-in file and the live values it lists, in one pass.

Runs on the target, standard library only. ``assess`` reads the kernel's /proc/sys and the
current drop-in and returns everything that differs; ``apply`` carries that out. The drop-in is
owned whole: it lists exactly the requested keys, so a key the plan no longer has disappears from
it without a separate removal step. Keys the kernel has but does not let this host write
(nf_conntrack_max in a container's network namespace) go to the file only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import os
import stat
import tempfile

from ansible_collections.onprem.calico.plugins.module_utils import fault_injection
from ansible_collections.onprem.calico.plugins.module_utils.host_files import read_text as _read

HEADER = "# Managed by onprem.calico (role calico_host): sysctls Calico needs, from the plan.\n"


class SysctlError(Exception):
    """A request that cannot be carried out; the message names the keys and the fix."""


def proc_path(key, proc_root="/proc/sys"):
    """net.ipv4.ip_forward -> /proc/sys/net/ipv4/ip_forward. A key with slashes is a path already
    (sysctl.d's form for names with dots: net/ipv6/conf/eth0.100/accept_ra)."""
    return os.path.join(proc_root, key if "/" in key else key.replace(".", "/"))


def accept_ra_key(interface):
    return "net/ipv6/conf/%s/accept_ra" % interface if "." in interface else "net.ipv6.conf.%s.accept_ra" % interface


def keep_router_advertisements(sysctls, dropin, skip=(), proc_root="/proc/sys"):
    """``sysctls`` with accept_ra=2 for every interface that accepts router advertisements, and every
    accept_ra key first, so they are set before forwarding is turned on.

    With forwarding on, the kernel ignores router advertisements on an interface at accept_ra=1,
    and its RA-learned default route expires; 2 keeps it. ``all.accept_ra`` does not reach existing
    interfaces, so each one is listed. An interface counts when it is at 1 now, or at 2 and already
    in the drop-in (this module raised it before). ``skip`` holds shell patterns of interfaces that
    come and go (Calico's); ``lo``, ``all`` and ``default`` are never listed here.
    """
    listed = _dropin_keys(dropin)
    conf = os.path.join(proc_root, "net", "ipv6", "conf")
    raised = {}
    for interface in sorted(os.listdir(conf)) if os.path.isdir(conf) else []:
        if interface in ("all", "default", "lo") or any(fnmatch.fnmatch(interface, pattern) for pattern in skip):
            continue
        key = accept_ra_key(interface)
        current = normalize(_read(os.path.join(conf, interface, "accept_ra")) or "")
        if current == "1" or (current == "2" and key in listed):
            raised[key] = "2"
    ordered = dict((key, value) for key, value in sysctls.items() if key.endswith("accept_ra"))
    ordered.update(raised)
    ordered.update((key, value) for key, value in sysctls.items() if key not in ordered)
    return ordered


def _dropin_keys(path):
    content = _read(path) or ""
    return {line.split("=", 1)[0].strip() for line in content.splitlines() if "=" in line and not line.startswith("#")}


def normalize(value):
    """The kernel prints multi-value sysctls separated by tabs; compare on single spaces."""
    if isinstance(value, bool):
        value = int(value)
    return " ".join(str(value).split())


def render(sysctls):
    return HEADER + "".join("%s=%s\n" % (key, normalize(value)) for key, value in sysctls.items())


def _mode_and_owner(path):
    info = os.stat(path)
    return stat.S_IMODE(info.st_mode), info.st_uid


def assess(sysctls, dropin, proc_root="/proc/sys"):
    """What has to change for the drop-in and the live values to match ``sysctls``.

    Raises SysctlError, before anything is changed, when the kernel lacks a key.
    """
    unknown = [key for key in sysctls if not os.path.exists(proc_path(key, proc_root))]
    if unknown:
        raise SysctlError(
            "sysctl(s) %s do not exist on this kernel. Fix: load the module that provides them, or drop "
            "them from calico_sysctl_overrides." % ", ".join(unknown))
    readonly, live = [], {}
    for key, value in sysctls.items():
        path = proc_path(key, proc_root)
        # The owner's write bit: /proc/sys entries the kernel refuses to write here are 0444.
        if not os.stat(path).st_mode & stat.S_IWUSR:
            readonly.append(key)
            continue
        current = normalize(_read(path) or "")
        if current != normalize(value):
            live[key] = {"before": current, "after": normalize(value)}
    before = _read(dropin)
    after = render(sysctls)
    # Same content but another mode (or owner) is a change too: the file is rewritten 0644 root.
    wrong_mode = before is not None and _mode_and_owner(dropin) != (0o644, os.geteuid())
    return {
        "file": {"path": dropin, "before": before, "after": after, "changed": before != after or wrong_mode},
        "live": live,
        "readonly": readonly,
    }


def write_file(path, content, mode=0o644):
    """Replace ``path`` atomically (a reader sees the old or the new file, never half of one)."""
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    fd, tmp = tempfile.mkstemp(prefix=".calico-sysctl.", dir=directory)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(content)
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def apply(assessment, proc_root="/proc/sys"):
    """Carry out ``assess``'s result: the drop-in first (it survives a failed live write), then
    the live values."""
    if assessment["file"]["changed"]:
        write_file(assessment["file"]["path"], assessment["file"]["after"])
    fault_injection.point("hosts_sysctl_after_dropin", SysctlError)
    for key, change in assessment["live"].items():
        try:
            with open(proc_path(key, proc_root), "w") as handle:
                handle.write(change["after"] + "\n")
        except (IOError, OSError) as err:
            raise SysctlError("writing %s=%s failed: %s" % (key, change["after"], err.strerror or err))


def diffs(assessment):
    """Ansible diffs: the drop-in, and the live values as key=value lines."""
    result = []
    if assessment["file"]["changed"]:
        result.append({
            "before_header": assessment["file"]["path"], "after_header": assessment["file"]["path"],
            "before": assessment["file"]["before"] or "", "after": assessment["file"]["after"],
        })
    if assessment["live"]:
        live = sorted(assessment["live"].items())
        result.append({
            "before_header": "live sysctls", "after_header": "live sysctls",
            "before": "".join("%s=%s\n" % (key, change["before"]) for key, change in live),
            "after": "".join("%s=%s\n" % (key, change["after"]) for key, change in live),
        })
    return result
