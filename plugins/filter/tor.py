# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the calico_tor role: vendor configuration from the plan, artifact text, session checks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.onprem.calico.plugins.module_utils.tor_bgp_sessions import parse_summary, session_problems


def tor_vendor_config(plan, router, password=None):
    """Resource-module configs and template text of one EOS / NX-OS / Junos router."""
    from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderError
    from ansible_collections.onprem.calico.plugins.plugin_utils.tor import vendor_config

    try:
        return vendor_config(plan, router, password or None)
    except (RenderError, ValueError, KeyError) as err:
        raise AnsibleFilterError("calico_tor: %s" % err)


def tor_frr_config(plan, router, password=None):
    """The collection-owned FRR configuration of one router (the tor/<router>.conf text)."""
    from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderError
    from ansible_collections.onprem.calico.plugins.plugin_utils.tor.frr import render_frr
    from ansible_collections.onprem.calico.plugins.plugin_utils.tor.model import build_model

    try:
        return render_frr(build_model(plan["tor_routers"][router], {"bgp_password": password or None}))
    except (RenderError, KeyError) as err:
        raise AnsibleFilterError("calico_tor: %s" % err)


def tor_artifact(vendor, rendered):
    """The text of tor/<router>.conf: resource modules' rendered output plus the template."""
    from ansible_collections.onprem.calico.plugins.plugin_utils.tor.artifact import artifact_text

    return artifact_text(vendor, rendered)


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
            "tor_vendor_config": tor_vendor_config,
            "tor_frr_config": tor_frr_config,
            "tor_artifact": tor_artifact,
            "tor_session_problems": tor_session_problems,
        }
