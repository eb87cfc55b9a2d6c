#!/usr/bin/python
# -*- coding: utf-8 -*-
# Documentation of the action plugin onprem.calico.artifacts_check: the work is done on the
# controller by plugins/action/artifacts_check.py; this file carries no code that runs on a host.
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: artifacts_check
short_description: Refuse to apply unless the inventory renders exactly the approved artifacts
version_added: "0.1.0"
description:
  - Fetches the approved set at I(approved) (a directory, or C(git+<url>#<commit>)), checks that
    its C(artifacts.json) has the digest I(digest) and that every file is as recorded, then
    compares it with a render of the current plan (collection version, plan digest and the
    sha256 of every artifact). Any difference fails the task and lists what differs.
  - Without I(plan), returns the approved C(plan.json) as the fact C(calico_plan) (for sliced
    jobs, whose inventory holds only some hosts).
options:
  approved:
    description: Location of the approved set (C(calico_apply_from)).
    type: str
    required: true
  digest:
    description: Digest of its artifacts.json (C(calico_apply_digest)), handed on by the workflow.
    type: str
  plan:
    description: The current plan, with C(cluster.artifacts_dir) pointing at the fresh render.
    type: dict
  rendered:
    description: The artifacts the render action wrote for I(plan).
    type: list
    elements: str
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Writes no diff; the render action shows the diff of every artifact.
  platform:
    support: full
    platforms: all
    description: Runs on the controller only.
author:
  - onprem.calico maintainers (@onprem-calico)
"""

EXAMPLES = r"""
- name: Compare with the approved artifacts
  onprem.calico.artifacts_check:
    approved: "{{ calico_apply_from }}"
    digest: "{{ calico_apply_digest }}"
    plan: "{{ calico_apply_plan }}"
    rendered: "{{ calico_apply_render.artifacts }}"
"""

RETURN = r"""
approved_plan_digest:
  description: Plan digest of the approved set.
  returned: success
  type: str
plan_digest:
  description: Plan digest of the current inventory (with I(plan)).
  returned: when plan is given
  type: str
differences:
  description: One line per difference; empty when the sets agree.
  returned: when plan is given
  type: list
  elements: str
"""
