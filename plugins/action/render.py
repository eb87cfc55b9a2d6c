# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin onprem.calico.render: write every artifact of the plan (controller only)."""

from __future__ import annotations


import json
import os
import tempfile

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import (
    RENDERERS,
    RenderContext,
    RenderError,
    render_all,
    stale_secret_files,
)


# Render secrets of Typha's mutual TLS -> file in plan.manifest.typha.tls.pki_dir.
TYPHA_TLS_FILES = {
    "typha_ca": "ca.crt",
    "typha_server_cert": "typha.crt",
    "typha_server_key": "typha.key",
    "typha_client_cert": "felix.crt",
    "typha_client_key": "felix.key",
}


TYPHA_CA_BUNDLE = "ca-bundle.crt"


def read_secrets(plan, bgp_password):
    """Secret inputs of the renderers, read on the controller."""
    secrets = {"bgp_password": bgp_password or None}
    etcd = (plan.get("manifest") or {}).get("etcd")
    if etcd and etcd.get("tls"):
        for key in ("ca", "cert", "key"):
            path = etcd.get(key + "_file")
            with open(path, "r", encoding="utf-8") as handle:
                secrets["etcd_" + key] = handle.read()
    tls = ((plan.get("manifest") or {}).get("typha") or {}).get("tls") or {}
    if tls.get("enabled"):
        # The CA key stays in the PKI directory: only the CA certificate is read.
        for key, file_name in TYPHA_TLS_FILES.items():
            path = os.path.join(tls["pki_dir"], file_name)
            # During a CA rotation both sides trust the old and the new CA (docs/security.md).
            bundle = os.path.join(tls["pki_dir"], TYPHA_CA_BUNDLE)
            if key == "typha_ca" and os.path.exists(bundle):
                path = bundle
            try:
                with open(path, "r", encoding="utf-8") as handle:
                    secrets[key] = handle.read()
            except FileNotFoundError as exc:
                raise AnsibleError("render: %s is missing; the Typha certificates are made by the calico_manifest role's "
                                   "typha_pki step (playbooks/render.yml runs it when calico_typha_tls is true)." % path) from exc
    return secrets


def write_atomic(path, content, mode):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("plan", "renderers", "upstream_dir"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = self._task.args
        plan = args.get("plan")
        if not isinstance(plan, dict) or "cluster" not in plan:
            raise AnsibleError("render: 'plan' must be the plan built by onprem.calico.plan (calico_plan).")
        # Back to plain JSON types: values that passed through Ansible carry tags that YAML
        # dumpers refuse, and renderers must see exactly what plan.json holds.
        plan = json.loads(json.dumps(plan))
        renderers = tuple(args.get("renderers") or RENDERERS)
        unknown = [r for r in renderers if r not in RENDERERS]
        if unknown:
            raise AnsibleError("render: unknown renderers %s (known: %s)." % (", ".join(unknown), ", ".join(RENDERERS)))
        password = task_vars.get("calico_bgp_password")
        password = self._templar.template(password) if password is not None else None
        ctx = RenderContext(secrets=read_secrets(plan, password), upstream_dir=args.get("upstream_dir"))
        try:
            artifacts = render_all(plan, ctx, renderers)
        except RenderError as exc:
            result.update(failed=True, msg="Rendering failed; no artifact was written:\n- " + "\n- ".join(exc.messages))
            return result

        base = plan["cluster"]["artifacts_dir"]
        changed, diffs = [], []
        for art in artifacts:
            path = os.path.join(base, art.path)
            mode = int(art.mode, 8)
            before = None
            if os.path.exists(path):
                with open(path, "r", encoding="utf-8") as handle:
                    before = handle.read()
                same_mode = (os.stat(path).st_mode & 0o777) == mode
            else:
                same_mode = False
            if before == art.content and same_mode:
                continue
            changed.append(art.path)
            if self._task.diff:
                if art.secret:
                    diffs.append({"before_header": path, "after_header": path, "prepared": "%s: content hidden (holds secrets)" % path})
                else:
                    diffs.append({"before_header": path, "after_header": path, "before": before or "", "after": art.content})
        removed = stale_secret_files(base, artifacts) if os.path.isdir(base) else []
        if self._task.diff:
            diffs.extend({"before_header": os.path.join(base, p), "after_header": "(removed)",
                          "prepared": "%s: removed (held secrets the plan no longer writes)" % os.path.join(base, p)} for p in removed)
        if not self._task.check_mode:
            for art in artifacts:
                if art.path in changed:
                    write_atomic(os.path.join(base, art.path), art.content, int(art.mode, 8))
            for path in removed:
                os.unlink(os.path.join(base, path))
        result.update(changed=bool(changed or removed), artifacts_dir=base, artifacts=[a.path for a in artifacts],
                      changed_artifacts=changed, removed_artifacts=removed)
        if diffs:
            result["diff"] = diffs
        # Secrets were used in memory only; make sure they are not echoed with the result.
        result["_ansible_no_log"] = False
        return result
