#!/usr/bin/python
# -*- coding: utf-8 -*-
# Documentation of the action plugin onprem.calico.bgp_resources: the work is done on the
# controller by plugins/action/bgp_resources.py; this file carries no code that runs on a host.
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: bgp_resources
short_description: Build the Calico BGP and IPAM objects of the plan on the controller
version_added: "0.1.0"
description:
  - Runs the C(resources) renderer (the same code that writes C(calico-resources.yaml)) on the
    controller and returns its objects for the M(onprem.calico.calico_resources) module and the
    Kubernetes tasks of the C(calico_bgp) role, each object validated against the CRD schema of
    the plan's Calico release.
  - Also returns where to get calicoctl for the target's architecture and the sha256 it must
    have, from the version catalog or O(calicoctl_sha256).
  - With O(include_secret=true) the result holds the BGP password Secret; such a task must set
    C(no_log).
options:
  plan:
    description: The plan (the C(calico_plan) fact set by M(onprem.calico.plan)).
    type: dict
    required: true
  bgp_password:
    description: The BGP password (C(calico_bgp_password)), needed when the plan enables passwords.
    type: str
  include_secret:
    description: Return the password Secret in RV(secret); otherwise it is left out.
    type: bool
    default: false
  with_calicoctl:
    description:
      - Return RV(calicoctl). C(false) for a run without the API (C(calico_bgp_skip_api)), which
        installs no calicoctl and so needs no checksum for the release.
    type: bool
    default: true
  architecture:
    description: The target's machine architecture (C(ansible_facts.architecture)), for calicoctl.
    type: str
    default: x86_64
  calicoctl_sha256:
    description: sha256 of calicoctl for releases the catalog does not know (C(calico_calicoctl_sha256)).
    type: str
  calicoctl_mirror:
    description:
      - Base URL or directory holding C(v<version>/calicoctl-linux-<arch>) (C(calico_calicoctl_mirror));
        default is the upstream release download.
    type: str
  upstream_dir:
    description: Directory laid out C(<dir>/v<version>/calico.yaml) to read the CRD schemas from (tests, lab).
    type: path
attributes:
  check_mode:
    support: full
    description: Computes only; nothing changes.
  diff_mode:
    support: none
    description: Computes only.
  platform:
    support: full
    description: Runs on the controller only.
    platforms: all
author:
  - onprem.calico maintainers (@onprem-calico)
"""

EXAMPLES = r"""
- name: Objects of the BGP stage
  onprem.calico.bgp_resources:
    plan: "{{ hostvars['localhost'].calico_plan }}"
    architecture: "{{ ansible_facts.architecture }}"
  register: calico_bgp_rendered
"""

RETURN = r"""
calico:
  description: C(projectcalico.org/v3) objects, in apply order.
  returned: always
  type: list
  elements: dict
kubernetes:
  description: Kubernetes objects - password Role/RoleBinding and (Kubernetes datastore) Node label/annotation entries.
  returned: always
  type: list
  elements: dict
secret:
  description: The password Secret; only with O(include_secret=true) and passwords enabled.
  returned: when requested
  type: dict
calicoctl:
  description: C(url), C(sha256), C(sha256_source) and C(version) of the calicoctl binary for the target.
  returned: when O(with_calicoctl) is true
  type: dict
"""
