#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.calico contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: calico_kernel_features
short_description: Report which kernel modules Calico needs are present on a host
version_added: "0.1.0"
description:
  - Reads C(/proc/modules), the running kernel's C(modules.builtin) and C(modules.dep), and reports
    for every requested module whether it is loaded, built in, loadable, or absent.
  - When C(/lib/modules/<release>) does not exist (containers, monolithic kernels) a module cannot be
    loaded, so the module instead probes the feature in a throw-away network namespace
    (C(unshare --net)), for example C(ip link add ... type ipip), C(ipset create) or an
    C(iptables -m <match>) rule. The host's own links, sets and rules are never touched.
  - Never loads anything itself; load the modules listed in RV(to_load) with
    M(community.general.modprobe).
  - Fails, with the module, the feature that needs it and the fix, when a required module is absent
    and O(fail_on_missing=true); warns with the same message otherwise.
options:
  modules:
    description:
      - The modules to check, as in the plan's C(host_preparation.kernel_modules).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Module name (C(-) and C(_) are equivalent).
        type: str
        required: true
      feature:
        description: The Calico feature that needs the module (C(ipip), C(vxlan), C(netfilter), ...).
        type: str
      needed_for:
        description: Why the feature is needed, for the error message.
        type: str
      required:
        description: Whether a missing module fails the host (otherwise a warning).
        type: bool
        default: true
      probe:
        description:
          - How to test the feature without C(/lib/modules) - C(link:<type>), C(ipset), C(iptables),
            C(ip6tables), C(nftables), C(conntrack), C(iptables-match:<match>) or
            C(ip6tables-match:<match>). Without it a built-in table keyed by module name is used.
        type: str
  fail_on_missing:
    description: Fail when a required module is absent; with V(false) the same message is a warning.
    type: bool
    default: true
  fail_prefix:
    description: Text put in front of the failure message, typically the inventory host name.
    type: str
    default: ""
attributes:
  check_mode:
    support: full
    description: Read-only; probes run in a throw-away network namespace, also in check mode.
  diff_mode:
    support: none
    description: Reads only; there is nothing to diff.
  platform:
    support: full
    platforms: posix
    description: Runs on the Linux host whose kernel is checked.
author:
  - onprem.calico maintainers (@onprem)
notes:
  - Probes need C(unshare) (util-linux), C(ip), and C(ipset) / C(iptables) / C(nft) for the matching
    modules; a probe whose tool is missing gives state C(unknown) and a warning, never a failure.
"""

EXAMPLES = r"""
- name: Check the kernel modules the plan needs
  onprem.calico.calico_kernel_features:
    modules: "{{ calico_plan.host_preparation.kernel_modules }}"
    fail_prefix: "{{ inventory_hostname }}"
  register: calico_kernel

- name: Load what can be loaded
  community.general.modprobe:
    name: "{{ item }}"
  loop: "{{ calico_kernel.to_load }}"
"""

RETURN = r"""
lib_modules:
  description: Whether C(/lib/modules/<release>) exists, that is whether modprobe can work.
  returned: always
  type: bool
kernel_release:
  description: The running kernel release.
  returned: always
  type: str
  sample: 6.1.0-28-amd64
modules:
  description: One entry per requested module, in the order given.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: vxlan, feature: vxlan, needed_for: VXLAN encapsulation, required: true, state: probed, detail: ""}
to_load:
  description: Modules present on disk but not loaded yet.
  returned: always
  type: list
  elements: str
missing:
  description: Required modules that are absent, each with a C(message) naming the fix.
  returned: always
  type: list
  elements: dict
"""

import os
import platform

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.onprem.calico.plugins.module_utils import kernel_features as kf


def gather():
    """Everything assess() needs from the running host."""
    release = platform.release()
    lib_dir = os.path.join("/lib/modules", release)
    loaded = kf.parse_proc_modules(kf.read_text("/proc/modules") or "")
    builtin = kf.parse_modules_builtin(kf.read_text(os.path.join(lib_dir, "modules.builtin")) or "")
    loadable = kf.parse_modules_dep(kf.read_text(os.path.join(lib_dir, "modules.dep")) or "")
    return release, os.path.isdir(lib_dir), loaded, builtin, loadable


def main():
    module = AnsibleModule(
        argument_spec=dict(
            modules=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                feature=dict(type="str"),
                needed_for=dict(type="str"),
                required=dict(type="bool", default=True),
                probe=dict(type="str"),
            )),
            fail_on_missing=dict(type="bool", default=True),
            fail_prefix=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )

    def run_probe(argv):
        if module.get_bin_path(argv[0]) is None:
            return 127, "%s not found" % argv[0]
        rc, _out, err = module.run_command(argv)
        return rc, err

    release, lib_modules, loaded, builtin, loadable = gather()
    results = kf.assess(module.params["modules"], loaded, builtin, loadable, lib_modules, run_probe)
    summary = kf.summarize(results)
    for warning in summary["warnings"]:
        module.warn(warning)

    output = dict(
        changed=False,
        kernel_release=release,
        lib_modules=lib_modules,
        modules=results,
        to_load=summary["to_load"],
        missing=summary["missing"],
    )
    prefix = (module.params["fail_prefix"] + ": ") if module.params["fail_prefix"] else ""
    if summary["missing"] and module.params["fail_on_missing"]:
        module.fail_json(msg=prefix + " ".join(m["message"] for m in summary["missing"]), **output)
    for missing in summary["missing"]:
        module.warn(prefix + missing["message"])
    module.exit_json(**output)


if __name__ == "__main__":
    main()
