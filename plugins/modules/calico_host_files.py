#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: onprem.calico contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: calico_host_files
short_description: Write several whole files on a host, rendered on the controller, in one task
version_added: "0.1.0"
description:
  - Makes each file of O(files) hold exactly its C(content), with its C(mode), owned by the user the
    module runs as (root under become). Files already as wanted are left alone.
  - Every changed file is first written to a temporary file next to its destination and checked
    with its C(validate) command; only when every check passed are the files moved into place, each
    atomically. A failed check changes nothing, and the failure names the file and the checker's output.
  - Missing parent directories are created with mode C(0755).
  - One task in place of one M(ansible.builtin.template) per file; a template costs a host several
    round trips (stat, then copy or file), so on a fleet each file saved is several round trips per host.
options:
  files:
    description: The files this module owns whole on the host.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path of the file.
        type: path
        required: true
      content:
        description: The whole content, typically from the M(ansible.builtin.template) lookup.
        type: str
        required: true
      mode:
        description: Octal mode as a quoted string; use C('0600') for a file that holds a secret.
        type: str
        default: "0644"
      validate:
        description:
          - Command that checks the new content before it is moved into place; C(%s) stands for the
            temporary file. Not run in check mode (the checker may be one of the packages the run installs).
        type: str
attributes:
  check_mode:
    support: full
    description: Reports which files would change, and changes none.
  diff_mode:
    support: full
    description: Shows each changed file before and after (and its mode when that changes).
  platform:
    support: full
    platforms: posix
    description: Runs on the host that holds the files.
author:
  - onprem.calico maintainers (@onprem-calico)
notes:
  - For content that holds a secret, set C(no_log) on the task; Ansible then hides the whole result,
    the diff included.
"""

EXAMPLES = r"""
- name: Write the host's drop-in files
  onprem.calico.calico_host_files:
    files:
      - path: /etc/modules-load.d/calico.conf
        content: "{{ lookup('ansible.builtin.template', 'etc/modules-load.d/calico.conf.j2') }}"
      - path: /etc/nftables.d/onprem-calico.nft
        content: "{{ lookup('ansible.builtin.template', 'etc/nftables.d/onprem-calico.nft.j2') }}"
        validate: /usr/sbin/nft -c -f %s
  register: calico_host_files

- name: Reload the table when its file changed
  ansible.builtin.systemd_service:
    name: onprem-calico-nftables.service
    state: restarted
  when: "'/etc/nftables.d/onprem-calico.nft' in calico_host_files.changed_files"
"""

RETURN = r"""
changed_files:
  description: Paths of the files that were (or, in check mode, would be) written.
  returned: always
  type: list
  elements: str
  sample: [/etc/nftables.d/onprem-calico.nft]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.onprem.calico.plugins.module_utils import host_files


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type="list", elements="dict", required=True, options=dict(
                path=dict(type="path", required=True),
                content=dict(type="str", required=True),
                mode=dict(type="str", default="0644"),
                validate=dict(type="str"),
            )),
        ),
        supports_check_mode=True,
    )

    def validate(command, staged):
        rc, out, err = module.run_command(command % staged)
        return None if rc == 0 else "rc=%d %s" % (rc, (err or out).strip())

    try:
        assessment = host_files.assess(module.params["files"])
        if not module.check_mode:
            host_files.apply(assessment, validate)
    except host_files.HostFileError as err:
        module.fail_json(msg=str(err))
    except (IOError, OSError) as err:
        module.fail_json(msg="%s: %s" % (getattr(err, "filename", None) or "writing the files", err))

    changed_files = [entry["path"] for entry in assessment if entry["changed"]]
    result = dict(changed=bool(changed_files), changed_files=changed_files)
    if module._diff and changed_files:
        result["diff"] = host_files.diffs(assessment)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
