#!/usr/bin/python
# -*- coding: utf-8 -*-
# Documentation of the action plugin onprem.calico.render: the work is done on the controller
# by plugins/action/render.py; this file carries no code that runs on a host.
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: render
short_description: Render the Calico artifacts of a plan on the controller
version_added: "0.1.0"
description:
  - Renders C(plan.json), the customised C(calico.yaml) with its change summary, the Calico
    resources and the FRR router configurations from the plan built by M(onprem.calico.plan),
    and writes them below C(plan.cluster.artifacts_dir).
  - Everything is rendered in memory first; if any renderer fails, no file is written.
  - Where a secret goes (the BGP password, the etcd client key) the artifacts hold a placeholder,
    so they can be reviewed and published; the apply stages fill it in memory. Files that would
    hold a secret keep mode 0600.
  - Contacts no host, so render-only runs need no cluster, node or router.
options:
  plan:
    description: The plan (the C(calico_plan) fact set by M(onprem.calico.plan)).
    type: dict
    required: true
  renderers:
    description: Which renderers to run, in order.
    type: list
    elements: str
    default: [manifest, resources, tor]
    choices: [manifest, resources, tor]
  upstream_dir:
    description:
      - A directory laid out as C(<dir>/v<version>/<file>) to read upstream manifests from,
        overriding C(calico_manifest_mirror) (tests and the lab use the shared copies).
    type: path
attributes:
  check_mode:
    support: full
    description: Reports which files would change (and their diffs) without writing.
  diff_mode:
    support: full
    description: Shows a diff per changed file (secrets are placeholders there).
  platform:
    support: full
    platforms: all
    description: Runs on the controller only.
notes:
  - The etcd CA and client certificate, and Typha's CA and certificates, are read from the paths in
    the plan, on the controller; the BGP password and the private keys are not needed to render
    (artifacts hold placeholders, filled at apply time).
  - The artifacts directory belongs to the render. Files in it with mode C(0600) that the plan no
    longer produces are removed, so nothing an earlier render wrote as a secret stays behind.
author:
  - onprem.calico maintainers (@onprem-calico)
"""

EXAMPLES = r"""
- name: Render every artifact of the plan
  onprem.calico.render:
    plan: "{{ calico_plan }}"
"""

RETURN = r"""
artifacts_dir:
  description: Where the artifacts were written.
  returned: always
  type: str
artifacts:
  description: Relative paths of every rendered artifact.
  returned: always
  type: list
  elements: str
changed_artifacts:
  description: Relative paths of artifacts whose content or mode changed (or would change).
  returned: always
  type: list
  elements: str
removed_artifacts:
  description:
    - Relative paths of secret files (mode C(0600)) an earlier render wrote below the artifacts
      directory and this one does not write, e.g. the BGP password Secret after the password was
      removed. They are deleted (in check mode only listed).
  returned: always
  type: list
  elements: str
"""
