# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the verify stage (roles/calico_verify): what each side is asked and how its
answer becomes the report's input. The logic lives in plugin_utils/report.py and
module_utils/tor_bgp_sessions.py (the tor stage's readers)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.errors import AnsibleFilterError
from ansible_collections.onprem.calico.plugins.module_utils.tor_bgp_sessions import parse_summaries, summary_report
from ansible_collections.onprem.calico.plugins.plugin_utils.report import (
    node_views_from_status,
    planned_peer_addresses,
)


def calico_verify_node_peers(plan, node):
    """Peer addresses the plan expects on ``node`` (ToR, reflector, node and mesh peers)."""
    return planned_peer_addresses(json.loads(json.dumps(plan)), node)


def calico_verify_tor_sessions(summary, platform, neighbors):
    """One platform's BGP summary (EOS, NX-OS, Junos JSON, text or data), or a list of them
    (EOS and NX-OS print IPv6 sessions in a summary of their own), as the sessions list
    frr_bgp_verify returns: [{node, ip, asn, family, state}] per planned session."""
    try:
        return summary_report(neighbors, parse_summaries(platform, summary))
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise AnsibleFilterError("calico_verify: cannot read the %s BGP summary: %s" % (platform, err))


def calico_verify_gathered(hostvars, hosts, fact):
    """{host: hostvars[host][fact]} for the hosts that set ``fact`` (a host that was skipped,
    unreachable or never ran the task has none: the report shows its sessions as not verified)."""
    gathered = {}
    for host in hosts or []:
        try:
            value = hostvars[host][fact]
        except KeyError:
            continue
        if value is not None:
            gathered[host] = value
    return gathered


def calico_verify_node_status(status_report):
    """calico_node_status's report (CalicoNodeStatus through the API) as per-node views."""
    return node_views_from_status(status_report)


class FilterModule(object):
    def filters(self):
        return {
            "calico_verify_node_peers": calico_verify_node_peers,
            "calico_verify_tor_sessions": calico_verify_tor_sessions,
            "calico_verify_node_status": calico_verify_node_status,
            "calico_verify_gathered": calico_verify_gathered,
        }
