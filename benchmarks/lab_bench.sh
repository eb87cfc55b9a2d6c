#!/usr/bin/env bash
# Benchmark of the built-in lab (docs/lab.md); prints one "name: seconds" line per figure.
#   lab build        lab images rebuilt (debootstrap base cached) + containers up + prepare
#   first converge   site.yml on the fresh lab
#   no-op rerun      site.yml again (must report changed=0)
#   push->up         the Calico objects removed from every ToR, then tor.yml pushes them again:
#                    seconds from the start of the push until every node session is Established
# Leaves the lab running (make demo-down removes it). Needs root. Record results in
# docs/benchmarks.md under "## Lab". --push-only measures the last figure on a running lab.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/tests/images/containers.conf}
py=$repo/.venv/bin/python
playbook=$repo/.venv/bin/ansible-playbook
log=$(mktemp -d /tmp/lab-bench.XXXXXX)
tors=(tor1a tor1b tor2a)

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# Every node session (the peers outside the fabric subnet) of every ToR is Established.
all_established() {
  local tor
  for tor in "${tors[@]}"; do
    podman exec "calico-lab-$tor" vtysh -c 'show bgp ipv4 unicast summary json' 2>/dev/null |
      "$py" -c 'import json,sys; p=json.load(sys.stdin)["peers"]; n=[s for a,s in p.items() if not a.startswith("10.77.0.")]; sys.exit(not n or any(s["state"]!="Established" for s in n))' ||
      return 1
  done
}
changed_total() { awk '/ : ok=/ { for (i = 1; i <= NF; i++) if ($i ~ /^changed=/) { split($i, kv, "="); s += kv[2] } } END { print s + 0 }' "$1"; }

echo "lab benchmark on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); logs in $log"
if [[ ${1:-} != --push-only ]]; then
"$py" lab/lab.py down > "$log/down.log" 2>&1
for image in calico-lab-node calico-lab-tor; do
  podman images --format '{{.Repository}}:{{.Tag}}' "localhost/$image" | xargs -r podman rmi -f > /dev/null 2>&1 || true
done

t0=$(now)
"$py" lab/lab.py up > "$log/up.log" 2>&1
t1=$(now)
echo "lab build: $(elapsed "$t0" "$t1") s"

lab/site.sh > "$log/site-1.log" 2>&1
t2=$(now)
echo "first converge: $(elapsed "$t1" "$t2") s"

lab/site.sh > "$log/site-2.log" 2>&1
t3=$(now)
echo "no-op rerun: $(elapsed "$t2" "$t3") s (changed=$(changed_total "$log/site-2.log"))"
fi

# Back to the routers' pre-existing configuration (fabric only); the nodes' BIRD keeps running.
for tor in "${tors[@]}"; do
  podman exec "calico-lab-$tor" /usr/lib/frr/frr-reload.py --reload /etc/frr/lab-fabric.conf > /dev/null 2>&1
done
t4=$(now)
"$playbook" -i inventory/lab playbooks/tor.yml -e calico_tor_verify=false > "$log/tor.log" 2>&1
t5=$(now)
deadline=$(( $(date +%s) + 120 ))
until all_established; do
  (( $(date +%s) < deadline )) || { echo "push->up: sessions not Established within 120 s" >&2; exit 1; }
  sleep 0.2
done
t6=$(now)
echo "tor push (tor.yml, 3 routers, one at a time): $(elapsed "$t4" "$t5") s"
echo "push->up (push start to every node session Established): $(elapsed "$t4" "$t6") s"
