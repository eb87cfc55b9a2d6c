# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The routes a routing daemon put in the kernel, read once they have settled.

Standard library only; runs on nodes (BIRD: ``proto bird``) and FRR routers (``proto bgp``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time


def kernel_routes(run_command, proto):
    """``ip -j route show proto <proto>`` entries, IPv4 then IPv6 (a family that fails adds none)."""
    routes = []
    for family in ("-4", "-6"):
        rc, out, _err = run_command(["ip", "-j", family, "route", "show", "proto", proto])
        if rc == 0 and out.strip():
            routes += json.loads(out)
    return routes


def settled(read, timeout, interval=1.0, clock=None, sleep=None):
    """Call ``read()`` until two readings ``interval`` seconds apart agree, or ``timeout`` seconds pass.

    A session is Established before its routes are exchanged; reading the routes once at that
    moment can miss the last peer's (a rack's second ToR, or the other rack's routes through the
    spine), and a report built from it would differ from the next run's. Returns the last reading.
    """
    clock = clock or time.monotonic
    sleep = sleep or time.sleep
    start = clock()
    current = read()
    while clock() - start < timeout:
        sleep(interval)
        again = read()
        if again == current:
            return again
        current = again
    return current
