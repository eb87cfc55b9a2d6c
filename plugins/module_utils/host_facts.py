# -*- coding: utf-8 -*-
# Copyright: onprem.calico contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The few facts the host role decides on, read in one pass.

Runs on the target, standard library only. The parsers are pure and fed by one read of
/etc/os-release, one ``systemctl show`` for the units the role cares about, and at most one
``ufw status`` and one ``nft list tables``. Gathering all facts and every service's state (setup +
service_facts) costs several seconds per host; this costs one short module run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shlex

# /etc/os-release ID or ID_LIKE -> Ansible's os_family names, so messages and vars files match
# what people know from ansible_facts.os_family.
OS_FAMILIES = (
    ("Debian", ("debian", "ubuntu", "linuxmint", "raspbian", "pop")),
    ("RedHat", ("rhel", "centos", "fedora", "rocky", "almalinux", "ol", "amzn", "scientific")),
    ("Suse", ("suse", "opensuse", "sles", "sled", "opensuse-leap", "opensuse-tumbleweed")),
    ("Archlinux", ("arch", "archarm", "manjaro")),
    ("Alpine", ("alpine",)),
)

SHOW_PROPERTIES = ("Id", "LoadState", "ActiveState", "SubState", "UnitFileState")


def parse_os_release(text):
    """KEY=value lines (values optionally shell-quoted) -> dict."""
    release = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _sep, value = line.partition("=")
        try:
            words = shlex.split(value)
        except ValueError:
            words = [value]
        release[key.strip()] = words[0] if words else ""
    return release


def os_family(release):
    """The os_family of an os-release dict: ID first, then ID_LIKE in order; else ID itself."""
    ids = [release.get("ID", "").lower()] + release.get("ID_LIKE", "").lower().split()
    for candidate in ids:
        for family, members in OS_FAMILIES:
            if candidate in members:
                return family
    return release.get("ID", "unknown") or "unknown"


def parse_systemctl_show(text, units):
    """``systemctl show -p Id,LoadState,... u1 u2`` (blank-line separated blocks, in argument
    order) -> {unit: {installed, active, running, enabled, load_state, ...}}."""
    blocks = [block for block in text.strip().split("\n\n") if block.strip()] if text.strip() else []
    result = {}
    for unit, block in zip(units, blocks):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        result[unit] = describe_unit(props)
    for unit in units:
        result.setdefault(unit, describe_unit({}))
    return result


def describe_unit(props):
    load = props.get("LoadState", "not-found")
    return {
        # systemd knows the names of units it has no file for: LoadState not-found means not installed.
        "installed": load not in ("not-found", ""),
        "active": props.get("ActiveState") == "active",
        "running": props.get("SubState") == "running",
        "enabled": props.get("UnitFileState") == "enabled",
        "load_state": load,
        "active_state": props.get("ActiveState", "inactive"),
        "sub_state": props.get("SubState", "dead"),
        "unit_file_state": props.get("UnitFileState", ""),
    }


def firewalld_default_zone(conf_text):
    """DefaultZone of firewalld.conf; firewalld's own default (public) when the file does not set one."""
    for line in (conf_text or "").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key.strip() == "DefaultZone" and value.strip():
            return value.strip()
    return "public"


def ufw_active(status_output):
    return any(line.strip() == "Status: active" for line in status_output.splitlines())


def nft_has_table(list_tables_output, table):
    """``nft list tables`` prints "table <family> <name>" lines; ``table`` is "<family> <name>"."""
    wanted = "table " + " ".join(table.split())
    return any(" ".join(line.split()) == wanted for line in list_tables_output.splitlines())
