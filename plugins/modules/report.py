#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation of the action plugin onprem.calico.report: the work is done on the controller
# by plugins/action/report.py; this file carries no code that runs on a host.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: report
short_description: Write the run report and topology picture from gathered BGP session data
version_added: "0.1.0"
description:
  - Joins the plan with the BGP session states and routes gathered by the verify stage and writes
    C(report.md) (racks, ToR routers, nodes, every expected session with its state as seen from
    each end, routes seen, skipped stages), C(topology.dot) and, when Graphviz C(dot) is
    installed, C(topology.svg) with sessions coloured by state, below C(plan.cluster.artifacts_dir).
  - Returns the console summary and the sessions that are not Established, naming their nodes.
    It never fails because of session states; the verify stage decides that.
  - The files hold no timestamps, so an unchanged network reports C(changed=false).
  - Lists what changed where (section "What changed where" of C(report.md), and the console
    summary) - per node, ToR router and rack, then per cluster-wide plan section - against the plan
    rendered before this one into the same directory (C(plan.json) when it differs from this
    run's plan, else C(plan.previous.json), which the render keeps whenever C(plan.json) changes).
options:
  plan:
    description: The plan (the C(calico_plan) fact set by M(onprem.calico.plan)).
    type: dict
    required: true
  tors:
    description:
      - Per ToR router (inventory name) C(sessions) (the C(sessions) list of
        M(onprem.calico.frr_bgp_verify)), C(error) (why the router could not be asked) and
        C(routes) (C(ip -j route) entries).
    type: dict
    default: {}
  nodes:
    description:
      - Per node C(sessions) (a mapping of peer address to BGP state as the node sees it),
        C(error) and C(routes).
    type: dict
    default: {}
  skipped:
    description: Stages the run did not do, each with C(stage) and C(reason).
    type: list
    elements: dict
    default: []
  dot:
    description: Graphviz C(dot) executable; without it only C(topology.dot) is written.
    type: str
    default: dot
  allow_unverified:
    description:
      - Whether a planned session that nobody could check (no router answer and no node view)
        is acceptable. By default it counts as a problem, so C(ok) is false and the report names
        it; with V(true) the report lists it under "Not verified" and C(ok) ignores it.
    type: bool
    default: false
  uplinks:
    description:
      - With rack pools, what each ToR advertises to its uplink neighbours, by router name, each
        C({uplinks, problems, error}) as M(onprem.calico.frr_uplink_routes) returns it (the
        C(calico_verify) role reads EOS, NX-OS and Junos the same way). A router with
        aggregates that is missing here counts as a problem unless O(allow_unverified).
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
    description: Builds the report and returns it without writing files; changed when report.md or topology.dot would change.
  diff_mode:
    support: full
    description: Shows how report.md and topology.dot differ from the files of the previous run (topology.svg follows topology.dot).
  platform:
    support: full
    platforms: all
    description: Runs on the controller only.
author:
  - onprem.calico maintainers (@onprem-calico)
"""

EXAMPLES = r"""
- name: Write the report
  onprem.calico.report:
    plan: "{{ calico_plan }}"
    tors: "{{ tor_results }}"
    skipped:
      - {stage: "manifest apply", reason: "no API server"}
  register: calico_report
"""

RETURN = r"""
summary:
  description: The console summary, one line per item.
  returned: always
  type: list
  elements: str
ok:
  description:
    - Whether every planned session is Established (sessions nobody checked count as failures unless O(allow_unverified)),
      and, with rack pools, every uplink gets each rack aggregate and no prefix inside it.
  returned: always
  type: bool
problems:
  description:
    - One line per session that is not Established (or not verified, unless O(allow_unverified)), naming node, peer and states;
      then one per uplink problem (a missing rack aggregate, leaked more-specifics), naming the router and the uplink.
  returned: always
  type: list
  elements: str
affected_nodes:
  description: Nodes with at least one session that is not Established (or not verified, unless O(allow_unverified)).
  returned: always
  type: list
  elements: str
unverified:
  description: Sessions nobody could check, as C(node <-> peer).
  returned: always
  type: list
  elements: str
sessions:
  description: Every expected session with both views and its overall state (up, down, not verified).
  returned: always
  type: list
  elements: dict
files:
  description: Paths of the files written (or that would be written in check mode).
  returned: always
  type: list
  elements: str
plan_changes:
  description:
    - What the plan changed against the one rendered before it, one entry per node (C(node NAME)),
      router (C(router NAME)), rack (C(rack NAME)) or plan section, with one line per difference.
    - Empty when nothing changed or no earlier, different plan exists.
  returned: always
  type: list
  elements: dict
  sample: [{"where": "node r2-w3", "what": ["added: rack r2, 10.77.2.14, AS 65002, peers tor2a"]},
           {"where": "router tor2a", "what": ["neighbors: r2-w3 added"]}]
changed_hosts:
  description: The nodes and routers whose own plan entry was added, removed or changed (from RV(plan_changes)).
  returned: always
  type: list
  elements: str
  sample: [r2-w3, tor2a]
"""
