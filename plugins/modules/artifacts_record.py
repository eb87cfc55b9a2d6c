#!/usr/bin/python
# -*- coding: utf-8 -*-
# Documentation of the action plugin onprem.calico.artifacts_record: the work is done on the
# controller by plugins/action/artifacts_record.py; this file carries no code that runs on a host.
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: artifacts_record
short_description: Record, review and publish the artifacts of a render run
version_added: "0.1.0"
description:
  - Writes C(artifacts.json) below C(plan.cluster.artifacts_dir) with the collection version, the
    plan digest (without machine-specific paths) and the sha256 of every artifact.
  - Writes C(review.md), what each stage would change against the last set published to
    I(publish).
  - With I(publish), copies the set where it outlives the job, either a directory (one
    subdirectory per run, C(LATEST) names the newest) or C(git+<url>) (one commit per run).
  - The returned I(location) and I(digest) are what an apply stage takes as
    C(calico_apply_from) and C(calico_apply_digest).
  - Artifacts hold placeholders where secrets go, so the published set holds no secret.
options:
  plan:
    description: The plan (C(calico_plan)).
    type: dict
    required: true
  rendered:
    description: The artifacts the render action wrote (its C(artifacts) result); every ToR
      router's C(tor/<router>.conf) is added from the plan.
    type: list
    elements: str
    required: true
  publish:
    description: A directory, or C(git+<url>) of a git repository to commit the set to.
    type: str
attributes:
  check_mode:
    support: full
    description: Records and publishes nothing (the render wrote nothing in check mode).
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
- name: Record and publish the rendered set
  onprem.calico.artifacts_record:
    plan: "{{ calico_plan }}"
    rendered: "{{ calico_render.artifacts }}"
    publish: git+ssh://git@git.example.com/net/calico-artifacts.git
"""

RETURN = r"""
digest:
  description: sha256 of artifacts.json, which names the whole set.
  returned: success
  type: str
plan_digest:
  description: Digest of the plan without machine-specific paths.
  returned: success
  type: str
location:
  description: Where this run's set was published (null without I(publish)).
  returned: success
  type: str
review:
  description: The text of review.md.
  returned: success
  type: str
manifest:
  description: Path of the written artifacts.json.
  returned: success
  type: str
"""
