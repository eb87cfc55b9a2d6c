# -*- coding: utf-8 -*-
"""Action plugin onprem.calico.bgp_resources: the BGP/IPAM objects of the plan for the calico_bgp role."""

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
    details: Computes only; nothing changes.
  diff_mode:
    support: none
  platform:
    platforms: all
author:
  - onprem.calico maintainers
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
  returned: always
  type: dict
"""

import json

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog, resources
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext, RenderError

# ansible_facts.architecture -> the suffix of calicoctl release binaries.
ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "ppc64le": "ppc64le"}


def calicoctl_source(version, architecture, sha256=None, mirror=None):
    arch = ARCHITECTURES.get(architecture)
    if arch is None:
        raise AnsibleError("calicoctl: no release binary for architecture %r (known: %s)"
                           % (architecture, ", ".join(sorted(set(ARCHITECTURES.values())))))
    if sha256:
        checksum, origin = sha256.strip().lower(), "calico_calicoctl_sha256"
    else:
        checksum, origin = catalog.CALICOCTL_SHA256.get(version, {}).get(arch), "catalog"
    if not checksum or len(checksum) != 64:
        raise AnsibleError("calicoctl %s for %s: the catalog has no sha256 (known: %s); set calico_calicoctl_sha256 "
                           "to the checksum published with the release" % (version, arch, ", ".join(sorted(catalog.CALICOCTL_SHA256))))
    name = "calicoctl-linux-%s" % arch
    if mirror:
        url = mirror.rstrip("/") + "/v%s/%s" % (version, name)
        if "://" not in url:
            url = "file://" + url
    else:
        url = catalog.CALICOCTL_URL.format(version=version, arch=arch)
    return {"url": url, "sha256": checksum, "sha256_source": origin, "version": version, "arch": arch}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("plan", "bgp_password", "include_secret", "architecture", "calicoctl_sha256",
                             "calicoctl_mirror", "upstream_dir"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        plan = args.get("plan")
        if not isinstance(plan, dict) or "bgp" not in plan:
            raise AnsibleError("bgp_resources: 'plan' must be the plan built by onprem.calico.plan (calico_plan).")
        plan = json.loads(json.dumps(plan))
        ctx = RenderContext(secrets={"bgp_password": args.get("bgp_password") or None},
                            upstream_dir=args.get("upstream_dir"))
        try:
            built = resources.build(plan, ctx, with_secret=bool(args.get("include_secret")))
        except RenderError as exc:
            result.update(failed=True, msg="Calico resources cannot be built; nothing was changed:\n- "
                          + "\n- ".join(exc.messages))
            return result
        result.update(
            changed=False,
            calico=built.calico,
            kubernetes=built.kubernetes,
            calicoctl=calicoctl_source(plan["cluster"]["version"], args.get("architecture") or "x86_64",
                                       args.get("calicoctl_sha256"), args.get("calicoctl_mirror")),
        )
        if args.get("include_secret"):
            result["secret"] = built.secret
        return result
