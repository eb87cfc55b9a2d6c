# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the calico_tor role: a router's configuration from the plan, session checks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.onprem.calico.plugins.module_utils.tor_bgp_sessions import parse_summary, session_problems


def tor_router_config(plan, router, password=None):
    """The collection-owned configuration of one router, any platform (the tor/<router>.conf text)."""
    from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderError
    from ansible_collections.onprem.calico.plugins.plugin_utils.tor import router_config

    try:
        return router_config(plan, router, password or None)
    except (RenderError, KeyError) as err:
        raise AnsibleFilterError("calico_tor: %s" % err)


def tor_session_problems(summary, platform, neighbors):
    """Messages naming each expected node session that is missing or not Established."""
    try:
        if isinstance(summary, str):
            summary = json.loads(summary or "{}")
        return session_problems(neighbors, parse_summary(platform, summary))
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise AnsibleFilterError("calico_tor: cannot read the %s BGP summary: %s" % (platform, err))


class FilterModule(object):
    def filters(self):
        return {
            "tor_router_config": tor_router_config,
            "tor_session_problems": tor_session_problems,
        }
