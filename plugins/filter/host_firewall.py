# -*- coding: utf-8 -*-
# Copyright: onprem.calico contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the calico_host role: the plan's firewall rules as firewalld and ufw entries, and the
entries onprem.calico added earlier that the plan no longer has (plugin_utils/host_firewall.py)."""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.plugin_utils.host_firewall import (
    firewalld_stale,
    firewalld_wanted,
    ufw_rules,
    ufw_stale,
)


class FilterModule:
    def filters(self):
        return {
            "calico_firewalld_wanted": firewalld_wanted,
            "calico_firewalld_stale": firewalld_stale,
            "calico_ufw_rules": ufw_rules,
            "calico_ufw_stale": ufw_stale,
        }
