#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: frr_tor_config
short_description: Merge the Calico-owned BGP objects into an FRR router's running configuration
description:
  - Reads the running configuration with C(vtysh), replaces only the objects the collection
    owns (named with O(object_prefix), the node neighbours and the router-wide lines the plan
    decides) with those of O(config), and keeps everything else untouched.
  - The merged file is checked with C(vtysh -C -f), then C(frr-reload.py --test) must show
    that only owned lines change before C(frr-reload.py --reload) applies it.
  - The previous running configuration is saved under O(backup_dir) (mode 0600) and returned
    as RV(backup_file); O(state=restored) puts it back (rollback).
version_added: "0.1.0"
author:
  - onprem.calico maintainers (@onprem-calico)
options:
  state:
    description:
      - V(merged) pushes O(config); V(restored) makes the running configuration equal O(restore_from).
    type: str
    choices: [merged, restored]
    default: merged
  config:
    description:
      - The collection-owned configuration as rendered to C(tor/<router>.conf) (a fresh router's
        view, C(router bgp) block included). May hold the BGP password, so it is never logged.
      - Required with O(state=merged).
    type: str
  object_prefix:
    description: Prefix of every object the collection owns on the router (plan C(object_prefix)).
    type: str
    default: CALICO-
  restore_from:
    description: Backup file to restore with O(state=restored), usually RV(backup_file) of the push.
    type: path
  backup_dir:
    description: Directory (mode 0700) for the previous configurations; created on the first change.
    type: path
    default: /var/lib/onprem-calico/frr
  keep_backups:
    description: How many previous configurations to keep in O(backup_dir).
    type: int
    default: 5
  config_file:
    description:
      - Where the applied running configuration is saved (mode 0600, owner kept) so FRR starts
        with it. Empty to leave the file alone.
    type: path
    default: /etc/frr/frr.conf
  vtysh:
    description: vtysh executable.
    type: path
    default: vtysh
  vty_socket:
    description: Directory of the daemons' vty sockets when not the default (one FRR per namespace).
    type: path
  frr_reload:
    description: Path of C(frr-reload.py) (Debian package C(frr-pythontools)).
    type: path
    default: /usr/lib/frr/frr-reload.py
  maximum_paths:
    description:
      - ECMP paths the design expects (plan C(maximum_paths)). The router's C(maximum-paths) also
        governs its uplinks, so it is never changed; a lower explicit limit is returned in
        RV(findings) and shown as a warning.
    type: int
  session_type:
    description: The node sessions' kind (plan C(session_type)); V(ibgp) compares C(maximum-paths ibgp).
    type: str
    choices: [ibgp, ebgp]
    default: ibgp
attributes:
  check_mode:
    support: full
    description: Shows the C(frr-reload.py --test) changes and the diff without applying them.
  diff_mode:
    support: full
    description: Passwords are replaced by C(********) in the diff.
  platform:
    support: full
    platforms: posix
    description: An FRR 8 router (Debian FRR, white-box, SONiC-style) with vtysh and frr-pythontools.
notes:
  - Changing a rack's design on a live router (iBGP to eBGP peer group) may need the owned peer
    group removed first; the module restores the previous configuration if the reload does not
    converge.
seealso:
  - module: onprem.calico.frr_bgp_verify
"""

EXAMPLES = r"""
- name: Push the Calico peering of this ToR
  onprem.calico.frr_tor_config:
    config: "{{ lookup('ansible.builtin.file', calico_artifacts_dir ~ '/tor/' ~ inventory_hostname ~ '.conf') }}"
    object_prefix: CALICO-
  register: frr_push

- name: Roll back
  onprem.calico.frr_tor_config:
    state: restored
    restore_from: "{{ frr_push.backup_file }}"
"""

RETURN = r"""
backup_file:
  description: The previous running configuration (null when nothing changed, in check mode, or when it held a rotated-out password).
  returned: always
  type: str
  sample: /var/lib/onprem-calico/frr/frr-20250101T120000.conf
purged_backups:
  description:
    - Backups removed after a verified push because they held a BGP password the pushed configuration no
      longer has (a rotated-out secret does not stay on the router's disk).
  returned: when a push changed the router
  type: list
  elements: str
  sample: [/var/lib/onprem-calico/frr/frr-20250101T120000.conf]
lines_added:
  description: Lines frr-reload.py adds, as "context / line", passwords hidden.
  returned: always
  type: list
  elements: str
  sample: ["router bgp 65001 / neighbor 10.0.1.11 peer-group CALICO-NODES"]
findings:
  description: What the router lacks for the design and the collection does not change (an ECMP limit below O(maximum_paths)).
  returned: with O(state=merged)
  type: list
  elements: str
  sample: ["maximum-paths ibgp is 4 but the plan expects 8 paths (calico_tor_maximum_paths): ..."]
router_wide_added:
  description:
    - Router-wide lines a BGP design needs that the router lacked and the push adds (never
      removed later, since the rest of the router may rely on them).
  returned: with O(state=merged)
  type: list
  elements: str
  sample: ["bgp bestpath as-path multipath-relax"]
lines_removed:
  description: Lines frr-reload.py removes, as "context / line", passwords hidden.
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.onprem.calico.plugins.module_utils.frr_tor_config import (
    FrrConfigError,
    FrrRouter,
    apply_owned,
    restore,
)


def run_module(params, run_command, check_mode):
    """The module's work, callable without Ansible (tests pass their own run_command)."""
    router = FrrRouter(run_command, vtysh=params["vtysh"], frr_reload=params["frr_reload"],
                       vty_socket=params.get("vty_socket"))
    if params["state"] == "restored":
        return restore(router, params["restore_from"], check_mode=check_mode,
                       config_file=params.get("config_file") or None)
    return apply_owned(router, params["config"], params["object_prefix"], check_mode=check_mode,
                       backup_dir=params["backup_dir"], config_file=params.get("config_file") or None,
                       keep_backups=params["keep_backups"], maximum_paths=params.get("maximum_paths"),
                       session_type=params.get("session_type") or "ibgp")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["merged", "restored"], default="merged"),
            config=dict(type="str", no_log=True),
            object_prefix=dict(type="str", default="CALICO-"),
            restore_from=dict(type="path"),
            backup_dir=dict(type="path", default="/var/lib/onprem-calico/frr"),
            keep_backups=dict(type="int", default=5),
            config_file=dict(type="path", default="/etc/frr/frr.conf"),
            vtysh=dict(type="path", default="vtysh"),
            vty_socket=dict(type="path"),
            frr_reload=dict(type="path", default="/usr/lib/frr/frr-reload.py"),
            maximum_paths=dict(type="int"),
            session_type=dict(type="str", choices=["ibgp", "ebgp"], default="ibgp"),
        ),
        required_if=[("state", "merged", ["config"]), ("state", "restored", ["restore_from"])],
        supports_check_mode=True,
    )

    def run_command(argv):
        return module.run_command(argv)

    try:
        result = run_module(module.params, run_command, module.check_mode)
    except FrrConfigError as err:
        module.fail_json(msg=str(err))
    for finding in result.get("findings", []):
        module.warn(finding)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
