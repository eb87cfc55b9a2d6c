# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the verify stage's uplink check on EOS, NX-OS and Junos (rack pools): which
uplinks to ask, and their answers as the report's input. The logic lives in
module_utils/tor_uplink_routes.py, which FRR's frr_uplink_routes module runs on the router."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.errors import AnsibleFilterError
from ansible_collections.onprem.calico.plugins.module_utils.tor_bgp_sessions import ESTABLISHED, parse_summary
from ansible_collections.onprem.calico.plugins.module_utils.tor_uplink_routes import (
    advertised_command,
    check_router,
    parse_advertised,
    uplink_peers,
)


def _json(value):
    return json.loads(value or "{}") if isinstance(value, str) else (value or {})


def _observed(summaries, platform):
    """The sessions of every summary answer (EOS and NX-OS answer per family), merged."""
    observed = {}
    for summary in summaries or []:
        observed.update(parse_summary(platform, _json(summary)))
    return observed


def _families(router):
    return sorted({a["family"] for a in router.get("aggregates") or []})


def calico_verify_uplink_summary_commands(router):
    """EOS / NX-OS: the summary commands of the families the router aggregates (the tor stage's)."""
    ipv6 = "show bgp ipv6 unicast summary | json" if router["platform"] == "nxos" else "show ipv6 bgp summary | json"
    return ["show ip bgp summary | json" if family == 4 else ipv6 for family in _families(router)]


def calico_verify_uplink_queries(summaries, platform, router):
    """[{peer, family, command}] for every Established uplink of a family with aggregates."""
    try:
        observed = _observed(summaries, platform)
        return [{"peer": peer, "family": family, "command": advertised_command(platform, peer, family)}
                for family in _families(router) for peer, state in uplink_peers(router, observed, family) if state == ESTABLISHED]
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise AnsibleFilterError("calico_verify: cannot read the %s BGP summary: %s" % (platform, err))


def calico_verify_uplink_check(summaries, platform, router, results):
    """{uplinks, problems, error} from the summary and the looped advertised-routes answers
    (``results`` of the loop over calico_verify_uplink_queries)."""
    if not summaries:
        return {"uplinks": [], "problems": [], "error": "the router's BGP summary could not be read"}
    try:
        answers = {}
        for result in results or []:
            item = result.get("item") or {}
            stdout = result.get("stdout")
            if result.get("failed") or not stdout:
                continue
            answers[(item["peer"], item["family"])] = parse_advertised(platform, _json(stdout[0]), item["family"])
        checked = check_router(router, _observed(summaries, platform), lambda peer, family: answers.get((peer, family)))
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise AnsibleFilterError("calico_verify: cannot read what the %s router advertises to its uplinks: %s" % (platform, err))
    checked["error"] = None
    return checked


class FilterModule(object):
    def filters(self):
        return {
            "calico_verify_uplink_summary_commands": calico_verify_uplink_summary_commands,
            "calico_verify_uplink_queries": calico_verify_uplink_queries,
            "calico_verify_uplink_check": calico_verify_uplink_check,
        }
