# -*- coding: utf-8 -*-
"""Action plugin onprem.calico.bgp_resources: the BGP/IPAM objects of the plan for the calico_bgp role.

Documented in plugins/modules/bgp_resources.py.
"""

from __future__ import annotations

import json

from ansible.errors import AnsibleError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog, resources
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext, RenderError

ARCHITECTURES = catalog.CALICOCTL_ARCHITECTURES


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
    _VALID_ARGS = frozenset(("plan", "bgp_password", "include_secret", "with_calicoctl", "architecture", "calicoctl_sha256",
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
        result.update(changed=False, calico=built.calico, kubernetes=built.kubernetes)
        # A run without the API installs no calicoctl, so it needs no checksum for it either.
        if boolean(args.get("with_calicoctl", True), strict=True):
            result["calicoctl"] = calicoctl_source(plan["cluster"]["version"], args.get("architecture") or "x86_64",
                                                   args.get("calicoctl_sha256"), args.get("calicoctl_mirror"))
        if args.get("include_secret"):
            result["secret"] = built.secret
        return result
