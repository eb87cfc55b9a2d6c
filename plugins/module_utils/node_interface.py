# -*- coding: utf-8 -*-
# Copyright: onprem.calico contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the inventory's node address and MTU against the host's live interfaces.

Runs on the target, standard library only. Input is the JSON of `ip -j addr show`; the checks are
pure functions so they are unit-tested without a host. The result never feeds any rendered
artifact: it only confirms (or refutes) what the inventory, and so the plan, says.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

# The smallest MTU IPv6 allows on a link; a pod MTU below it breaks IPv6 pods.
MIN_POD_MTU = 1280


def find_interface(ip_addr_json, address):
    """(interface name, MTU) of the interface holding `address`, or (None, None)."""
    wanted = ipaddress.ip_address(address)
    for link in ip_addr_json:
        for info in link.get("addr_info", []):
            local = info.get("local")
            if not local:
                continue
            try:
                if ipaddress.ip_address(local) == wanted:
                    return link.get("ifname"), link.get("mtu")
            except ValueError:
                continue
    return None, None


def host_addresses(ip_addr_json):
    """Every address on the host except loopback, for the error message."""
    found = []
    for link in ip_addr_json:
        if "LOOPBACK" in link.get("flags", []):
            continue
        for info in link.get("addr_info", []):
            if info.get("local"):
                found.append("%s on %s" % (info["local"], link.get("ifname")))
    return found


def check(ip_addr_json, node_ip, expected_mtu, overhead=0, veth_mtu=0, overhead_reason="encapsulation"):
    """Compare the plan with the host; every number comes from the plan, nothing is derived here.

    node_ip: nodes[host].ip; expected_mtu: nodes[host].interface_mtu (None = not set);
    overhead / overhead_reason: manifest.encapsulation_overhead(_reason); veth_mtu:
    manifest.veth_mtu (0 = Felix decides). Returns dict(interface, mtu, overhead, errors, warnings).
    """
    errors = []
    warnings = []
    interface, mtu = find_interface(ip_addr_json, node_ip)
    if interface is None:
        errors.append(
            "calico_node_ip %s is not an address of this host (it has: %s). Fix: set calico_node_ip "
            "(or ansible_host) to the address calico-node should use on this host."
            % (node_ip, ", ".join(host_addresses(ip_addr_json)) or "none"))
        return dict(interface=None, mtu=None, overhead=overhead, errors=errors, warnings=warnings)

    if expected_mtu and mtu != expected_mtu:
        warnings.append(
            "interface %s holding %s has MTU %s but the inventory says calico_interface_mtu=%s. "
            "Fix: correct calico_interface_mtu, or the interface's MTU." % (interface, node_ip, mtu, expected_mtu))
    if veth_mtu:
        if veth_mtu + overhead > mtu:
            errors.append(
                "pod MTU %d plus %d bytes of encapsulation overhead (%s) exceeds the MTU %d of %s. "
                "Fix: lower calico_mtu to at most %d, or raise the interface MTU."
                % (veth_mtu, overhead, overhead_reason, mtu, interface, mtu - overhead))
    elif overhead and mtu - overhead < MIN_POD_MTU:
        warnings.append(
            "interface %s MTU %d leaves only %d bytes for pods after %d bytes of encapsulation; "
            "IPv6 needs %d. Fix: raise the interface MTU or use no encapsulation."
            % (interface, mtu, mtu - overhead, overhead, MIN_POD_MTU))
    return dict(interface=interface, mtu=mtu, overhead=overhead, errors=errors, warnings=warnings)
