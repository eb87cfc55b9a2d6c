#!/bin/sh
# What a host is made of, as far as Calico and the calico_host role could change it: files
# (path, mode, checksum) under /etc, /opt and /var/lib/calico, every iptables and nftables rule,
# routes, network devices and enabled units. Volatile files (caches, ansible facts) are left out.
# Live sysctl values are not part of it: docs/guides/day2-lifecycle.md says why they stay.
set -u
echo "## files"
find /etc /opt /var/lib/calico /run/calico -xdev \( -type f -o -type l -o -type d \) 2>/dev/null \
  | grep -v -e '^/etc/ld.so.cache$' -e '^/etc/ansible' | sort | while read -r path; do
    if [ -f "$path" ] && [ ! -L "$path" ]; then
      echo "$path $(stat -c %a "$path") $(md5sum < "$path" | cut -c1-32)"
    else
      echo "$path $(stat -c %a "$path") $(readlink "$path")"
    fi
  done
for tool in iptables-nft ip6tables-nft iptables-legacy ip6tables-legacy; do
  echo "## $tool"
  "$tool-save" 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
done
# Without counters, one line each: a ufw reload recreates its chains, which reorders the listing.
echo "## nft"
nft -s list ruleset | sort
echo "## routes"
ip route show table all
ip -6 route show table all
echo "## devices"
ip -o link show | awk '{print $2}'
echo "## addresses"
ip -o addr show | awk '{print $2, $3, $4}'
echo "## enabled units"
systemctl list-unit-files --state=enabled --no-legend | awk '{print $1}' | sort
