# -*- coding: utf-8 -*-
# Copyright: onprem.calico contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the calico_host role: the plan's firewall rules as firewalld rich rules, and the
rules onprem.calico added earlier that the plan no longer has (plugin_utils/host_firewall.py)."""

from __future__ import annotations

from ansible_collections.onprem.calico.plugins.plugin_utils.host_firewall import (
    firewalld_rich_rules,
    firewalld_stale,
    ufw_stale,
)


class FilterModule:
    def filters(self):
        return {
            "calico_firewalld_rich_rules": firewalld_rich_rules,
            "calico_firewalld_stale": firewalld_stale,
            "calico_ufw_stale": ufw_stale,
        }
