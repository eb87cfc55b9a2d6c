#!/usr/bin/env bash
# Run site.yml on the built-in lab (docs/lab.md), from the checkout, with any extra
# ansible-playbook arguments. Used by `make demo`, `make e2e` and benchmarks/lab_bench.sh, so the
# three run exactly the same thing.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/tests/images/containers.conf}
export ANSIBLE_CONFIG=${ANSIBLE_CONFIG:-$repo/ansible.cfg}
# The lab has no Kubernetes API server: the inventory sets calico_manifest_skip_api and
# calico_bgp_skip_api, so those stages render and validate and say what they skipped.
# LAB_SKIP_TAGS can skip more (e.g. for experiments).
LAB_SKIP_TAGS=${LAB_SKIP_TAGS-}
skip=()
[[ -n $LAB_SKIP_TAGS ]] && skip=(--skip-tags "$LAB_SKIP_TAGS")
exec "${ANSIBLE_PLAYBOOK:-$repo/.venv/bin/ansible-playbook}" -i "$repo/inventory/lab" "$repo/site.yml" "${skip[@]}" "$@"
