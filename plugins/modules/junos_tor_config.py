#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: junos_tor_config
short_description: Replace the Calico-owned BGP objects on a Junos router over NETCONF, commit confirmed
description:
  - In one configuration lock, reads the router's AS and BGP configuration, loads O(config)
    with C(load-configuration action="replace") (every owned object carries C(replace="replace");
    owned objects on the router the plan no longer has are added with C(delete="delete"); an
    aggregate route under C(routing-options) is owned when it names a policy with O(object_prefix)),
    runs C(commit check), compares the candidate with the active configuration and, when they
    differ, commits with C(confirmed) and O(confirm_minutes). Any failure after the load
    discards the candidate before the lock is released.
  - Junos keeps an C(authentication-key) as C($9$) text with a random salt. The module decodes
    the router's value and, when it equals the planned secret, loads the router's own value,
    so an unchanged password compares equal; a changed one is loaded in clear and committed.
  - O(state=confirmed) sends the confirming commit after verification; O(state=rolled_back)
    loads C(rollback 1) and commits it at once (back to the configuration before the push).
  - Logic in C(plugins/module_utils/junos_tor_config.py).
version_added: "0.1.0"
author:
  - onprem.calico maintainers (@onprem-calico)
options:
  state:
    description:
      - V(pushed) loads O(config) and commits it confirmed; V(confirmed) confirms a confirmed
        commit; V(rolled_back) restores the configuration from before the last commit.
    type: str
    choices: [pushed, confirmed, rolled_back]
    default: pushed
  config:
    description:
      - The collection-owned configuration (C(<configuration>) XML as rendered to
        C(tor/<router>.conf), with the real password). Never logged. Required with O(state=pushed).
    type: str
  object_prefix:
    description: Prefix of every object the collection owns (plan C(object_prefix)); other names are never loaded.
    type: str
    default: CALICO-
  asn:
    description:
      - The router's AS in the plan. The push stops before loading anything when the router has
        no C(routing-options autonomous-system) or another one. Required with O(state=pushed).
    type: int
  router_id:
    description:
      - The router id in the plan. A router whose C(routing-options router-id) differs stops
        before anything is loaded (one without the statement uses lo0's address and is not checked).
    type: str
  confirm_minutes:
    description: Minutes until Junos rolls an unconfirmed commit back by itself.
    type: int
    default: 5
  comment:
    description: Commit log message.
    type: str
    default: onprem.calico calico_tor push
attributes:
  check_mode:
    support: full
    description: Loads, checks and compares, then discards the candidate; nothing is committed.
  diff_mode:
    support: full
    description: The Junos compare of the owned objects, every secret (clear or C($9$)) as C(<redacted>).
  platform:
    support: full
    platforms: junos
    description: Juniper Junos over C(ansible.netcommon.netconf) (C(ansible_network_os=junipernetworks.junos.junos)).
requirements:
  - ncclient (controller)
notes:
  - The module does not bootstrap BGP and never changes the AS, router id or anything under C(routing-options)
    but the aggregate routes it owns (those naming a policy with O(object_prefix)).
  - A planned aggregate route the router already has without an owned policy, or an owned object the plan no
    longer has that the router's other configuration still names (an uplink export chain), stops the push
    before anything is loaded.
seealso:
  - module: junipernetworks.junos.junos_config
"""

EXAMPLES = r"""
- name: Push the Calico peering of this ToR, confirmed after verification
  onprem.calico.junos_tor_config:
    config: "{{ calico_plan | onprem.calico.tor_router_config(inventory_hostname, calico_bgp_password) }}"
    asn: 65001
    confirm_minutes: 5
  register: junos_push

- name: Confirm it once the node sessions are Established
  onprem.calico.junos_tor_config:
    state: confirmed
  when: junos_push.committed
"""

RETURN = r"""
compare:
  description: The change as Junos compares it (C(show | compare)), secrets as C(<redacted>); empty when nothing changes.
  returned: state=pushed
  type: str
  sample: "[edit protocols bgp group CALICO-NODES]\n-    neighbor 10.0.1.99 {...}"
committed:
  description: Whether a confirmed commit was made (it needs O(state=confirmed) or rolls back by itself).
  returned: state=pushed
  type: bool
removed:
  description: Owned objects on the router the plan no longer has, deleted by the push.
  returned: state=pushed
  type: list
  elements: str
  sample: [policy-statement CALICO-OLD-POLICY, routing-options aggregate route 10.244.0.0/22]
kept_secrets:
  description: Secrets left as the router stores them because they decode to the planned ones.
  returned: state=pushed
  type: list
  elements: str
  sample: [CALICO-NODES authentication-key]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.connection import ConnectionError as AnsibleConnectionError

from ansible_collections.onprem.calico.plugins.module_utils.junos_tor_config import (
    JunosPushError,
    confirm,
    push,
    redact,
    rollback,
)

try:
    from ansible_collections.ansible.netcommon.plugins.module_utils.network.common.netconf import NetconfConnection
    from lxml import etree
except ImportError as import_error:  # reported by the module, not at import time
    NETCONF_IMPORT_ERROR = import_error
else:
    NETCONF_IMPORT_ERROR = None


# What a failed call leaves behind, for the message.
AFTER_FAILURE = {
    "pushed": "nothing was committed (a loaded candidate was discarded)",
    "confirmed": "the commit stays unconfirmed: Junos rolls it back when the confirm timer runs out",
    "rolled_back": "rollback 1 was not committed: an unconfirmed commit still rolls back when its timer runs out",
}


class NetconfSession(object):
    """The session the push logic drives, over the persistent NETCONF connection."""

    def __init__(self, socket_path):
        self._conn = NetconfConnection(socket_path)

    @staticmethod
    def _text(reply):
        return etree.tostring(reply, encoding="unicode") if reply is not None and not isinstance(reply, list) else ""

    def lock(self):
        self._conn.lock(target="candidate")

    def unlock(self):
        self._conn.unlock(target="candidate")

    def get_configuration(self, filter_xml):
        return self._text(self._conn.get_configuration(format="xml", filter=filter_xml))

    def load_configuration(self, config_xml):
        # The RPC is written out: ncclient's load_configuration wraps the document in a second
        # <configuration> element, and ours already is one.
        self._conn.execute_rpc('<load-configuration action="replace" format="xml">%s</load-configuration>' % config_xml)

    def load_rollback(self, number):
        self._conn.execute_rpc('<load-configuration rollback="%d"/>' % int(number))

    def commit_check(self):
        self._conn.commit(check=True)

    def compare(self):
        reply = self._conn.execute_rpc('<get-configuration compare="rollback" rollback="0" format="text"/>')
        if reply is None or isinstance(reply, list):
            return ""
        output = [element.text or "" for element in reply.iter() if etree.QName(element).localname == "configuration-output"]
        return "\n".join(output)

    def commit(self, confirm_minutes=None, comment=None):
        if confirm_minutes:
            self._conn.commit(confirmed=True, timeout=str(confirm_minutes), comment=comment)
        else:
            self._conn.commit(comment=comment)

    def discard_changes(self):
        self._conn.discard_changes()


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["pushed", "confirmed", "rolled_back"], default="pushed"),
            config=dict(type="str", no_log=True),
            object_prefix=dict(type="str", default="CALICO-"),
            asn=dict(type="int"),
            router_id=dict(type="str"),
            confirm_minutes=dict(type="int", default=5),
            comment=dict(type="str", default="onprem.calico calico_tor push"),
        ),
        required_if=[("state", "pushed", ("config", "asn"))],
        supports_check_mode=True,
    )
    if NETCONF_IMPORT_ERROR is not None:
        module.fail_json(msg="junos_tor_config needs ncclient, lxml and ansible.netcommon on the controller: %s"
                         % NETCONF_IMPORT_ERROR)
    if not module._socket_path:
        module.fail_json(msg="junos_tor_config runs over ansible_connection=ansible.netcommon.netconf")
    params = module.params
    session = NetconfSession(module._socket_path)
    try:
        if params["state"] == "confirmed":
            if not module.check_mode:
                confirm(session, comment=params["comment"])
            module.exit_json(changed=True)
        if params["state"] == "rolled_back":
            if not module.check_mode:
                rollback(session, comment=params["comment"])
            module.exit_json(changed=True)
        result = push(session, params["config"], params["object_prefix"], params["asn"], params["confirm_minutes"],
                      comment=params["comment"], check_mode=module.check_mode, router_id=params["router_id"])
    except JunosPushError as err:
        module.fail_json(msg=str(err))
    except AnsibleConnectionError as err:
        # An rpc-error reply names the statement Junos refused; secrets in it are redacted.
        module.fail_json(msg="NETCONF %s: %s; %s" % (params["state"], redact(to_text(err)), AFTER_FAILURE[params["state"]]))
    result["compare"] = result.pop("diff")
    if module._diff and result["changed"]:
        result["diff"] = {"prepared": result["compare"]}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
