#!/usr/bin/env bash
# Run site.yml on the built-in lab (docs/lab.md), from the checkout, with any extra
# ansible-playbook arguments. Used by `make demo`, `make e2e` and benchmarks/lab_bench.sh, so the
# three run exactly the same thing.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/tests/images/containers.conf}
export ANSIBLE_CONFIG=${ANSIBLE_CONFIG:-$repo/ansible.cfg}
# The lab has no Kubernetes API server. The manifest stage skips its API part through the
# inventory (calico_manifest_skip_api); the calico_bgp role has no such switch yet, so its
# calicoctl and API tags are skipped here: its preflight still builds and schema-validates
# every object, and the report lists the skip.
# calico_host_networkmanager: the host role takes NetworkManager.service for installed when
# systemd merely knows the name (status not-found, as in the lab's image) and then fails on the
# missing /etc/NetworkManager/conf.d; skipped until the role checks the unit's status.
LAB_SKIP_TAGS=${LAB_SKIP_TAGS-calico_bgp_calicoctl,calico_bgp_kubernetes,calico_bgp_apply,calico_bgp_verify,calico_host_networkmanager}
skip=()
[[ -n $LAB_SKIP_TAGS ]] && skip=(--skip-tags "$LAB_SKIP_TAGS")
exec "${ANSIBLE_PLAYBOOK:-$repo/.venv/bin/ansible-playbook}" -i "$repo/inventory/lab" "$repo/site.yml" "${skip[@]}" "$@"
