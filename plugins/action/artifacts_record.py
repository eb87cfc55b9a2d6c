# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin onprem.calico.artifacts_record: artifacts.json, review.md, publish (controller only)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile

from ansible.plugins.action import ActionBase

from ansible_collections.onprem.calico.plugins.action.render import write_atomic
from ansible_collections.onprem.calico.plugins.plugin_utils import bundle, publish, review
from ansible_collections.onprem.calico.plugins.plugin_utils.tor import artifact_path

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def rendered_paths(plan, rendered):
    """The render action's artifacts plus tor/<router>.conf of every EOS, NX-OS and Junos router
    (written by the calico_tor role after the render action; FRR ones are in ``rendered``)."""
    vendors = {name for name, router in (plan.get("tor_routers") or {}).items() if router["platform"] != "frr"}
    return sorted(set(rendered) | {artifact_path(name) for name in vendors})


def _write_if_changed(path, content):
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            if handle.read() == content:
                return False
    write_atomic(path, content, 0o644)
    return True


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("plan", "rendered", "publish"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars or {})
        args = self._task.args
        plan = json.loads(json.dumps(args.get("plan")))
        target = args.get("publish") or None
        base = plan["cluster"]["artifacts_dir"]
        if self._task.check_mode:
            # The render wrote nothing in check mode, so there is nothing of this run to record.
            result.update(changed=False, skipped=True,
                          msg="check mode: the artifacts were not written, so none are recorded or published")
            return result
        paths = rendered_paths(plan, args.get("rendered") or [])
        workdir = tempfile.mkdtemp(prefix="onprem-calico-record-")
        try:
            manifest = bundle.record(plan, base, paths, bundle.collection_version(COLLECTION_ROOT))
            text = bundle.dumps(manifest)
            previous = publish.latest(target, workdir) if target else None
            summary = review.summary(previous, base, paths)
            changed = _write_if_changed(os.path.join(base, bundle.MANIFEST_FILE), text)
            changed = _write_if_changed(os.path.join(base, bundle.REVIEW_FILE), summary) or changed
            digest = bundle.manifest_digest(text)
            location = None
            if target:
                message = "onprem.calico %s: cluster %s, Calico %s, plan %s\n\nartifacts.json %s\n" % (
                    manifest["collection"]["version"], manifest["cluster"], manifest["calico_version"],
                    manifest["plan_digest"], digest)
                location = publish.publish(base, bundle.published_paths(manifest) + [bundle.REVIEW_FILE], target, digest, message)
                changed = True
        except (bundle.BundleError, publish.PublishError, OSError) as err:
            result.update(failed=True, msg="Recording the artifacts failed: %s" % err)
            return result
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        result.update(changed=changed, digest=digest, plan_digest=manifest["plan_digest"], location=location,
                      review=summary, manifest=os.path.join(base, bundle.MANIFEST_FILE))
        return result
