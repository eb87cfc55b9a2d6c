# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault injection for tests only (standard library only).

A test sets ONPREM_CALICO_FAULT to one or more point names (comma separated) in the environment
of the module's process; the module then fails at that point as if the router, the datastore or
the host had failed there, so the tests can show that a rerun converges and nothing is left
half-applied. Unset, ``point`` does nothing. The points (docs/operations.md):

- ``tor_frr_after_backup``: FRR push, the backup is written, nothing applied yet;
- ``tor_frr_mid_apply``: FRR push, after the first frr-reload.py --reload (rolled back);
- ``tor_junos_before_commit``: Junos push, the change loaded and checked, not committed (discarded);
- ``bgp_resources_mid_apply``: BGP stage, after the first Calico object was written;
- ``hosts_sysctl_after_dropin``: host preparation, the sysctl drop-in written, live values not yet.
"""

from __future__ import annotations

import os

ENVIRONMENT = "ONPREM_CALICO_FAULT"
POINTS = ("tor_frr_after_backup", "tor_frr_mid_apply", "tor_junos_before_commit", "bgp_resources_mid_apply",
          "hosts_sysctl_after_dropin")


def point(name, error=RuntimeError):
    """Raise ``error`` when the environment asks for a fault at ``name``."""
    if name in os.environ.get(ENVIRONMENT, "").split(","):
        raise error("fault injected at %s (%s; for tests only)" % (name, ENVIRONMENT))
