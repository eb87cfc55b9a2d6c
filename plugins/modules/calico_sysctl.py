#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.calico contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: calico_sysctl
short_description: Own a sysctl drop-in file and set its values live, in one task
version_added: "0.1.0"
description:
  - Writes O(path) so that it lists exactly O(sysctls), one C(key=value) line each (mode C(0644));
    keys the drop-in had before but O(sysctls) no longer has are gone from it.
  - Sets every value live through C(/proc/sys) where it differs. A key the kernel has but does not
    let this host write (C(net.netfilter.nf_conntrack_max) inside a container's network namespace)
    is written to the file only and listed in RV(readonly), to apply on the next boot.
  - Fails before changing anything when the kernel lacks a key, naming the keys and the fix.
  - One task in place of a stat, a read of the drop-in and one M(ansible.posix.sysctl) per key;
    on a fleet each saved task is a round trip per host.
options:
  sysctls:
    description: The wanted values, as in the plan's C(host_preparation.sysctls).
    type: dict
    required: true
  path:
    description: The drop-in file, owned whole by this module.
    type: path
    required: true
  fail_prefix:
    description: Text put in front of the failure message, typically the inventory host name.
    type: str
    default: ""
  keep_router_advertisements:
    description:
      - Also set C(accept_ra=2) on every interface that accepts IPv6 router advertisements (at C(1) now,
        or at C(2) and already in the drop-in), and write every C(accept_ra) value before any other, so
        that turning C(net.ipv6.conf.all.forwarding) on does not drop the RA-learned default route.
      - The per-interface values go to the drop-in too (systemd applies them again when the interface
        appears at boot).
    type: bool
    default: false
  skip_interfaces:
    description: Shell patterns of interfaces C(keep_router_advertisements) leaves alone (Calico's own, which come and go).
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Reports the file and live changes it would make, and makes none.
  diff_mode:
    support: full
    description: Shows the drop-in before and after, and the live values that change.
  platform:
    support: full
    platforms: posix
    description: Runs on the Linux host whose kernel is configured.
author:
  - onprem.calico maintainers (@onprem-calico)
notes:
  - Values are compared with whitespace collapsed, as the kernel prints multi-value sysctls
    (C(net.ipv4.ip_local_port_range)) with tabs.
  - The file is written first and the live values after, so a failed live write still leaves the
    wanted value for the next boot.
"""

EXAMPLES = r"""
- name: Set the sysctls live and in the drop-in
  onprem.calico.calico_sysctl:
    sysctls: "{{ calico_plan.host_preparation.sysctls }}"
    path: /etc/sysctl.d/90-calico.conf
    fail_prefix: "{{ inventory_hostname }}"
  register: calico_sysctl

- name: Say which ones only went to the file
  ansible.builtin.debug:
    msg: "read-only here: {{ calico_sysctl.readonly }}"
  when: calico_sysctl.readonly | length > 0
"""

RETURN = r"""
path:
  description: The drop-in file.
  returned: always
  type: str
  sample: /etc/sysctl.d/90-calico.conf
file_changed:
  description: Whether the drop-in was (or, in check mode, would be) rewritten.
  returned: always
  type: bool
live:
  description: The live values that changed (or would change), with the values before and after.
  returned: always
  type: dict
  sample: {net.ipv4.ip_forward: {before: "0", after: "1"}}
readonly:
  description: Keys the kernel does not let this host write; they are in the file only.
  returned: always
  type: list
  elements: str
  sample: [net.netfilter.nf_conntrack_max]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.onprem.calico.plugins.module_utils import sysctl_dropin


def main():
    module = AnsibleModule(
        argument_spec=dict(
            sysctls=dict(type="dict", required=True),
            path=dict(type="path", required=True),
            fail_prefix=dict(type="str", default=""),
            keep_router_advertisements=dict(type="bool", default=False),
            skip_interfaces=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    prefix = (module.params["fail_prefix"] + ": ") if module.params["fail_prefix"] else ""
    try:
        sysctls = module.params["sysctls"]
        if module.params["keep_router_advertisements"]:
            sysctls = sysctl_dropin.keep_router_advertisements(sysctls, module.params["path"], module.params["skip_interfaces"])
        assessment = sysctl_dropin.assess(sysctls, module.params["path"])
        if not module.check_mode:
            sysctl_dropin.apply(assessment)
    except sysctl_dropin.SysctlError as err:
        module.fail_json(msg=prefix + str(err))
    except (IOError, OSError) as err:
        module.fail_json(msg="%s%s: %s" % (prefix, getattr(err, "filename", None) or module.params["path"], err))

    changed = assessment["file"]["changed"] or bool(assessment["live"])
    result = dict(
        changed=changed,
        path=module.params["path"],
        file_changed=assessment["file"]["changed"],
        live=assessment["live"],
        readonly=assessment["readonly"],
    )
    if module._diff and changed:
        result["diff"] = sysctl_dropin.diffs(assessment)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
