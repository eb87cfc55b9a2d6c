#!/usr/bin/python
# -*- coding: utf-8 -*-
# Documentation of the action plugin onprem.calico.plan: the work is done on the controller
# by plugins/action/plan.py; this file carries no code that runs on a host.
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: plan
short_description: Build and validate the Calico network plan from the inventory
version_added: "0.1.0"
description:
  - Reads the groups and variables of the inventory (see docs/inventory.md), runs every preflight
    check at once and returns the normalised plan (docs/plan.md).
  - Runs on the controller only and contacts no host; gathered facts are never used, so a
    render-only run and a full run produce the same plan.
  - When preflight finds errors the task fails. It prints every one of them once, one line per
    cause naming the hosts or variables it affects (the first 10 and a count) and the fix; the
    task's C(msg) is the closing line with the number of causes and hosts. Warnings are shown as
    Ansible warnings.
options:
  fail_on_error:
    description: Fail the task when preflight finds errors. With C(false) the errors are returned.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Builds the plan exactly as in a normal run; nothing is changed either way.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to diff.
  platform:
    support: full
    platforms: all
    description: Runs on the controller only.
author:
  - onprem.calico maintainers (@onprem-calico)
"""

EXAMPLES = r"""
- name: Build the plan
  onprem.calico.plan:
  register: calico_plan_result

- name: Collect preflight errors without failing
  onprem.calico.plan:
    fail_on_error: false
  register: preflight
"""

RETURN = r"""
plan:
  description: The plan (docs/plan.md); null when preflight found errors.
  returned: always
  type: dict
errors:
  description: "Preflight errors, one per cause, each as C(subjects: message Fix: how)."
  returned: unless the task failed on them (then they are in C(msg))
  type: list
  elements: str
preflight_warnings:
  description: Preflight warnings in the same form.
  returned: unless the task failed
  type: list
  elements: str
pool_forecast:
  description: One line per IP pool, the addresses its nodes can need against its size (playbooks/plan.yml shows them).
  returned: always
  type: list
  elements: str
  sample: ["pool default-ipv4-ippool (10.244.0.0/16): 12 node(s) x 2 block(s) of /26 = 1536 of 65536 addresses (2.3 %)"]
ansible_facts:
  description: C(calico_plan), the plan, when it is valid.
  returned: success
  type: dict
"""
