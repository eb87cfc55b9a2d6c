#!/usr/bin/env bash
# Run the product's stages on the built-in lab (docs/lab.md), from the checkout, with any extra
# ansible-playbook arguments: playbooks/lab/site.yml (site.yml's stages plus the calico-node
# stand-in). Used by `make demo`, `make e2e` and benchmarks/lab_bench.sh, so the three run
# exactly the same thing. LAB_DESIGN=<name> runs the design inventory/lab-designs/<name>.yml
# (default: the inventory's own design, as_per_rack).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/tests/images/containers.conf}
export ANSIBLE_CONFIG=${ANSIBLE_CONFIG:-$repo/ansible.cfg}
# LAB_SKIP_TAGS can skip tags (e.g. for experiments).
LAB_SKIP_TAGS=${LAB_SKIP_TAGS-}
args=()
[[ -n $LAB_SKIP_TAGS ]] && args+=(--skip-tags "$LAB_SKIP_TAGS")
# shellcheck source=lab/design.sh
source "$repo/lab/design.sh"
exec "${ANSIBLE_PLAYBOOK:-$repo/.venv/bin/ansible-playbook}" -i "$repo/inventory/lab" "${lab_design_args[@]}" \
  "$repo/playbooks/lab/site.yml" "${args[@]}" "$@"
