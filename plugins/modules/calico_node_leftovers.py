#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: calico_node_leftovers
short_description: Remove what calico-node leaves on a node after Calico is uninstalled
version_added: "0.1.0"
description:
  - Finds and removes, on a node Calico no longer runs on, what calico-node put there and does not
    take away itself.
  - Files and directories matching O(paths) (the CNI plugin and its configuration, Calico's state
    directories).
  - Every C(cali-*) chain of every table in each iptables variant installed (legacy and nft), with
    the rules of other chains that jump to them, in one C(iptables-restore --noflush) per variant;
    Felix's nftables tables (C(ip calico), C(ip6 calico)).
  - The routes BIRD leaves in the kernel when it stops (C(proto bird), IPv4 and IPv6, any table).
  - Felix's devices C(vxlan.calico), C(vxlan-v6.calico), C(wireguard.cali), C(wg-v6.cali); C(tunl0),
    which the kernel keeps while the ipip module is loaded, loses its addresses and is set down.
options:
  paths:
    description: Shell patterns of the files and directories calico-node leaves.
    type: list
    elements: str
    required: true
attributes:
  check_mode:
    support: full
    description: Reports what it would remove and removes nothing.
  diff_mode:
    support: full
    description: The diff lists every item before and none after.
  platform:
    support: full
    platforms: posix
    description: Runs on the Linux node being cleaned.
author:
  - onprem.calico maintainers (@onprem-calico)
notes:
  - Pods' C(cali*) veth interfaces go with their network namespaces; the module leaves them alone.
"""

EXAMPLES = r"""
- name: Remove what calico-node left
  onprem.calico.calico_node_leftovers:
    paths:
      - /etc/cni/net.d/10-calico.conflist
      - /etc/cni/net.d/calico-kubeconfig
      - /opt/cni/bin/calico*
"""

RETURN = r"""
removed:
  description: One line per item removed (or, in check mode, to remove).
  returned: always
  type: list
  elements: str
  sample: ["path /etc/cni/net.d/10-calico.conflist", "iptables-nft chain filter/cali-INPUT",
           "route -4 10.244.1.0/26 (proto bird, table main)", "device vxlan.calico"]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.onprem.calico.plugins.module_utils import node_leftovers


def main():
    module = AnsibleModule(
        argument_spec=dict(paths=dict(type="list", elements="str", required=True)),
        supports_check_mode=True,
    )

    def run(argv, stdin=None):
        return module.run_command(argv, data=stdin, binary_data=stdin is not None)

    def which(name):
        return module.get_bin_path(name) is not None

    try:
        found = node_leftovers.assess(run, which, module.params["paths"])
        removed = node_leftovers.summary(found)
        if not module.check_mode:
            node_leftovers.remove(run, found)
    except node_leftovers.LeftoverError as err:
        module.fail_json(msg=str(err))
    except (IOError, OSError) as err:
        module.fail_json(msg="%s: %s" % (getattr(err, "filename", None) or "calico_node_leftovers", err))
    result = dict(changed=bool(removed), removed=removed)
    if module._diff and removed:
        result["diff"] = {"before": "\n".join(removed) + "\n", "after": "",
                          "before_header": "calico-node leftovers", "after_header": "calico-node leftovers"}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
