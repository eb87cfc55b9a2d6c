#!/usr/bin/env bash
# Benchmark of the built-in lab (docs/lab.md), per BGP design; prints one "name: seconds" line
# per figure. Usage: lab_bench.sh [--fresh] [DESIGN...] (default: all six designs). For each design, on the same containers:
#   first converge   lab.py up (switches the design) + lab/site.sh
#   no-op rerun      lab/site.sh again (must report changed=0)
#   push->up         ToR designs: the Calico objects removed from every ToR (back to the
#                    pre-existing uplink configuration), then tor.yml pushes them again: seconds
#                    from the start of the push until every node session is Established
# --fresh first removes the lab and its images ("lab build": images + containers + prepare).
# Leaves the lab running (make demo-down removes it). Needs root. Record results in
# docs/benchmarks.md under "## Lab".
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/tests/images/containers.conf}
export CALICO_UPSTREAM_DIR=${CALICO_UPSTREAM_DIR:-$(cd "$repo/.." && pwd)/shared/upstream/calico}
py=$repo/.venv/bin/python
playbook=$repo/.venv/bin/ansible-playbook
log=$(mktemp -d /tmp/lab-bench.XXXXXX)
tors=(tor1a tor1b tor2a)
fresh=false
[[ ${1:-} == --fresh ]] && { fresh=true; shift; }
designs=("$@")
[[ ${#designs[@]} -gt 0 ]] || designs=(as_per_rack as_per_node downward_default full_mesh route_reflectors dual_stack)

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# Every node session (the peers outside the fabric's subnets, both families) of every ToR is Established.
all_established() {
  local tor
  for tor in "${tors[@]}"; do
    podman exec "calico-lab-$tor" vtysh -c 'show bgp summary json' 2>/dev/null |
      "$py" -c 'import json,sys; n=[s for f in json.load(sys.stdin).values() for a,s in f.get("peers",{}).items() if not a.startswith(("10.77.0.", "fd00:77::"))]; sys.exit(not n or any(s["state"]!="Established" for s in n))' ||
      return 1
  done
}
changed_total() { awk '/ : ok=/ { for (i = 1; i <= NF; i++) if ($i ~ /^changed=/) { split($i, kv, "="); s += kv[2] } } END { print s + 0 }' "$1"; }

echo "lab benchmark on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); logs in $log"
if $fresh; then
  "$py" lab/lab.py down > "$log/down.log" 2>&1
  for image in calico-lab-node calico-lab-tor; do
    podman images --format '{{.Repository}}:{{.Tag}}' "localhost/$image" | xargs -r podman rmi -f > /dev/null 2>&1 || true
  done
  t0=$(now)
  LAB_DESIGN=${designs[0]} "$py" lab/lab.py up > "$log/up.log" 2>&1
  echo "lab build: $(elapsed "$t0" "$(now)") s"
fi

for design in "${designs[@]}"; do
  export LAB_DESIGN=$design
  # shellcheck source=lab/design.sh
  source "$repo/lab/design.sh"
  t1=$(now)
  "$py" lab/lab.py up > "$log/$design-up.log" 2>&1
  lab/site.sh > "$log/$design-site-1.log" 2>&1 || { echo "$design: first converge FAILED (see $log/$design-site-1.log)"; continue; }
  t2=$(now)
  echo "$design first converge: $(elapsed "$t1" "$t2") s"
  lab/site.sh > "$log/$design-site-2.log" 2>&1 || echo "$design: rerun FAILED"
  t3=$(now)
  echo "$design no-op rerun: $(elapsed "$t2" "$t3") s (changed=$(changed_total "$log/$design-site-2.log"))"
  case $design in full_mesh|route_reflectors) continue ;; esac
  # Back to the routers' pre-existing configuration (uplinks only); the nodes' BIRD keeps running.
  for tor in "${tors[@]}"; do
    podman exec "calico-lab-$tor" /usr/lib/frr/frr-reload.py --reload /etc/frr/lab-uplink.conf > /dev/null 2>&1
  done
  t4=$(now)
  "$playbook" -i inventory/lab "${lab_design_args[@]}" playbooks/tor.yml -e calico_tor_verify=false > "$log/$design-tor.log" 2>&1
  t5=$(now)
  deadline=$(( $(date +%s) + 120 ))
  until all_established; do
    (( $(date +%s) < deadline )) || { echo "$design push->up: sessions not Established within 120 s" >&2; break; }
    sleep 0.2
  done
  t6=$(now)
  echo "$design tor push (tor.yml, 3 routers, one at a time): $(elapsed "$t4" "$t5") s"
  echo "$design push->up (push start to every node session Established): $(elapsed "$t4" "$t6") s"
done
