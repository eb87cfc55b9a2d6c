# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin onprem.calico.artifacts_check: is the approved set what the inventory renders now?"""

from __future__ import annotations

import json
import os
import shutil
import tempfile

from ansible.plugins.action import ActionBase

from ansible_collections.onprem.calico.plugins.action.artifacts_record import COLLECTION_ROOT, rendered_paths
from ansible_collections.onprem.calico.plugins.plugin_utils import bundle, publish


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("plan", "rendered", "approved", "digest"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars or {})
        args = self._task.args
        location = args.get("approved")
        expected = args.get("digest") or None
        workdir = tempfile.mkdtemp(prefix="onprem-calico-approved-")
        try:
            directory = publish.fetch(location, workdir)
            approved = bundle.load(directory, expected)
            if args.get("plan") is None:
                # A sliced job: its inventory holds only some hosts, so it takes the approved plan
                # (intact, as just checked) instead of building one.
                with open(os.path.join(directory, bundle.PLAN_FILE), encoding="utf-8") as handle:
                    approved_plan = json.load(handle)
                result.update(changed=False, approved_plan_digest=approved["plan_digest"],
                              ansible_facts={"calico_plan": approved_plan},
                              msg="Using the approved plan of %s (plan %s)." % (location, approved["plan_digest"]))
                return result
            plan = json.loads(json.dumps(args["plan"]))
            current = bundle.record(plan, plan["cluster"]["artifacts_dir"], rendered_paths(plan, args.get("rendered") or []),
                                    bundle.collection_version(COLLECTION_ROOT))
        except (bundle.BundleError, publish.PublishError, OSError) as err:
            result.update(failed=True, msg="calico_apply_from: %s; nothing was changed." % err)
            return result
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        differences = bundle.differences(approved, current)
        result.update(changed=False, approved_plan_digest=approved["plan_digest"], plan_digest=current["plan_digest"],
                      differences=differences)
        if differences:
            result.update(failed=True, msg=(
                "The approved artifacts (%s, plan %s) are not what the current inventory renders (plan %s); "
                "nothing was changed. Render again, review and approve the new set, or restore the inventory "
                "that was approved. Differences:\n- %s"
                % (location, approved["plan_digest"], current["plan_digest"], "\n- ".join(differences))))
        else:
            result["msg"] = "The current inventory renders exactly the approved artifacts (%s, plan %s)." % (
                location, approved["plan_digest"])
        return result
