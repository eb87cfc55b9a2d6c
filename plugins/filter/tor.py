# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the calico_tor role: a router's configuration from the plan, session checks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.onprem.calico.plugins.module_utils.cli_tor_config import (
    CliConfigError,
    changes,
    leftover_checkpoints,
)
from ansible_collections.onprem.calico.plugins.module_utils.tor_bgp_sessions import parse_summaries, session_problems


def tor_router_config(plan, router, password=None, remove=False):
    """The collection-owned configuration of one router, any platform (the tor/<router>.conf text).

    ``remove``: the configuration with every owned object taken away (uninstall).
    """
    from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderError
    from ansible_collections.onprem.calico.plugins.plugin_utils.tor import router_config
    from ansible_collections.onprem.calico.plugins.plugin_utils.tor.removal import removal_config

    try:
        return removal_config(plan, router) if remove else router_config(plan, router, password or None)
    except (RenderError, KeyError) as err:
        raise AnsibleFilterError("calico_tor: %s" % err)


def tor_cli_changes(running, plan, router, password=None, update_password="on_create", remove=False):
    """EOS / NX-OS: what a push must send to ``router`` (see module_utils/cli_tor_config).

    ``running``: the router's ``show running-config`` text. Fails, naming the router, when its
    BGP instance is missing or runs another AS. ``remove``: take every owned object away (uninstall).
    """
    from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderError
    from ansible_collections.onprem.calico.plugins.plugin_utils.tor import router_config
    from ansible_collections.onprem.calico.plugins.plugin_utils.tor.removal import removal_config

    try:
        entry = plan["tor_routers"][router]
        rendered = removal_config(plan, router) if remove else router_config(plan, router, password or None)
        planned = [] if remove else [n["ip"] for n in entry["neighbors"]] + [n["ip6"] for n in entry["neighbors"] if n.get("ip6")]
        if isinstance(running, list):
            running = running[0]
        return changes(running, rendered, entry["object_prefix"], entry["platform"], planned, update_password,
                       maximum_paths=entry["maximum_paths"], session_type=entry["session_type"],
                       router_id=entry.get("router_id"))
    except (RenderError, KeyError, CliConfigError) as err:
        raise AnsibleFilterError("calico_tor: %s: %s" % (router, err))


def tor_nxos_leftover_checkpoints(summary):
    """Names of onprem-calico checkpoints in NX-OS ``show checkpoint summary`` output."""
    if isinstance(summary, list):
        summary = summary[0] if summary else ""
    return leftover_checkpoints(summary or "")


def tor_session_problems(summary, platform, neighbors, family=None):
    """Messages naming each expected node session that is missing or not Established.

    ``summary``: one JSON summary (text or data), or a list of them (EOS / NX-OS print IPv4
    and IPv6 sessions in separate commands). ``family`` 4 or 6 checks that family's sessions only.
    """
    try:
        return session_problems(neighbors, parse_summaries(platform, summary), family=int(family) if family else None)
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise AnsibleFilterError("calico_tor: cannot read the %s BGP summary: %s" % (platform, err))


class FilterModule(object):
    def filters(self):
        return {
            "tor_router_config": tor_router_config,
            "tor_cli_changes": tor_cli_changes,
            "tor_nxos_leftover_checkpoints": tor_nxos_leftover_checkpoints,
            "tor_session_problems": tor_session_problems,
        }
