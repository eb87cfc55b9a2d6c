#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.calico contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: calico_host_facts
short_description: Read the OS family and the firewall and network services a Calico node has
version_added: "0.1.0"
description:
  - Reads C(/etc/os-release) for the OS family (the names of C(ansible_facts.os_family)), asks
    systemd for the state of O(units) in one C(systemctl show), asks ufw whether it is active when
    it is installed, whether the nftables table O(nft_table) is in the live ruleset, and reads
    firewalld's default zone.
  - The role C(onprem.calico.calico_host) decides on these alone; one short run replaces
    M(ansible.builtin.setup) plus M(ansible.builtin.service_facts), which read every fact and every
    service and cost a fleet several seconds per host.
options:
  units:
    description: The systemd units to report on.
    type: list
    elements: str
    default: [firewalld.service, ufw.service, nftables.service, NetworkManager.service]
  nft_table:
    description:
      - C(<family> <name>) of an nftables table to look for in the live ruleset, for example
        C(inet onprem_calico). Omit it to skip the question.
    type: str
attributes:
  check_mode:
    support: full
    description: Reads only, the same in check mode.
  diff_mode:
    support: none
    description: Reads only; there is nothing to diff.
  platform:
    support: full
    platforms: posix
    description: Runs on the Linux host it reports on.
author:
  - onprem.calico maintainers (@onprem-calico)
notes:
  - Without systemd (no C(systemctl), or not PID 1) every unit is reported as not installed and
    RV(systemd) is V(false).
"""

EXAMPLES = r"""
- name: Read what the host role decides on
  onprem.calico.calico_host_facts:
    nft_table: inet onprem_calico
  register: calico_host_facts

- name: Stop on an unsupported OS
  ansible.builtin.assert:
    that: calico_host_facts.os_family in ['Debian', 'RedHat']
"""

RETURN = r"""
os_family:
  description: The OS family, named as C(ansible_facts.os_family) names it (V(Debian), V(RedHat), ...).
  returned: always
  type: str
  sample: Debian
distribution:
  description: The C(ID) of C(/etc/os-release).
  returned: always
  type: str
  sample: debian
distribution_version:
  description: The C(VERSION_ID) of C(/etc/os-release).
  returned: always
  type: str
  sample: "12"
systemd:
  description: Whether systemd runs the host, so that RV(units) means something.
  returned: always
  type: bool
units:
  description:
    - One entry per requested unit. C(installed) is V(false) when systemd has no unit file for it.
  returned: always
  type: dict
  sample:
    nftables.service: {installed: true, active: true, running: false, enabled: true, load_state: loaded,
                       active_state: active, sub_state: exited, unit_file_state: enabled}
firewalld_default_zone:
  description:
    - The zone firewalld puts rules without a zone in (C(DefaultZone) of C(/etc/firewalld/firewalld.conf),
      else V(public)); V(null) when firewalld is not installed.
  returned: always
  type: str
  sample: public
ufw_active:
  description: Whether C(ufw status) says the firewall is active; V(false) when ufw is not installed.
  returned: always
  type: bool
nft_table_present:
  description: Whether O(nft_table) is in the live ruleset; V(null) when not asked or C(nft) is missing.
  returned: always
  type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.onprem.calico.plugins.module_utils import host_facts as hf


def read_os_release():
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        if os.path.exists(path):
            with open(path) as handle:
                return hf.parse_os_release(handle.read())
    return {}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            units=dict(type="list", elements="str",
                       default=["firewalld.service", "ufw.service", "nftables.service", "NetworkManager.service"]),
            nft_table=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    units = module.params["units"]
    release = read_os_release()

    systemctl = module.get_bin_path("systemctl")
    systemd = bool(systemctl) and os.path.isdir("/run/systemd/system")
    unit_states = hf.parse_systemctl_show("", units)
    if systemd and units:
        rc, out, err = module.run_command([systemctl, "show", "--property=" + ",".join(hf.SHOW_PROPERTIES), "--"] + units)
        if rc != 0:
            module.fail_json(msg="systemctl show failed: %s" % (err or out).strip())
        unit_states = hf.parse_systemctl_show(out, units)

    default_zone = None
    if unit_states.get("firewalld.service", {}).get("installed") or os.path.isdir("/etc/firewalld"):
        conf = "/etc/firewalld/firewalld.conf"
        text = ""
        if os.path.exists(conf):
            with open(conf) as handle:
                text = handle.read()
        default_zone = hf.firewalld_default_zone(text)

    ufw_active = False
    ufw = module.get_bin_path("ufw")
    if ufw and unit_states.get("ufw.service", {}).get("installed", True):
        rc, out, _err = module.run_command([ufw, "status"])
        ufw_active = rc == 0 and hf.ufw_active(out)

    nft_table_present = None
    nft = module.get_bin_path("nft")
    if module.params["nft_table"] and nft:
        rc, out, err = module.run_command([nft, "list", "tables"])
        if rc == 0:
            nft_table_present = hf.nft_has_table(out, module.params["nft_table"])
        else:
            module.warn("nft list tables failed: %s" % (err or out).strip())

    module.exit_json(
        changed=False,
        os_family=hf.os_family(release),
        distribution=release.get("ID", ""),
        distribution_version=release.get("VERSION_ID", ""),
        systemd=systemd,
        units=unit_states,
        firewalld_default_zone=default_zone,
        ufw_active=ufw_active,
        nft_table_present=nft_table_present,
    )


if __name__ == "__main__":
    main()
