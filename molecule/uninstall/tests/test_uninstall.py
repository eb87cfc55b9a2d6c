"""After playbooks/uninstall.yml each host is as it was before converge (snapshot.sh, taken in
prepare), and what calico-node left is gone."""

import os

SNAPSHOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "snapshot.sh")


def test_host_is_as_it_was_before_converge(host, hostvars):
    name = hostvars["inventory_hostname"]
    with open(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "before-%s.txt" % name)) as handle:
        before = handle.read().splitlines()
    with open(SNAPSHOT) as handle:
        script = handle.read()
    now = host.check_output("sh -c %s", script).splitlines()
    gone = [line for line in before if line not in now]
    left = [line for line in now if line not in before]
    assert (gone, left) == ([], [])


def test_calico_node_leftovers_are_gone(host):
    for path in ("/etc/cni/net.d/10-calico.conflist", "/etc/cni/net.d/calico-kubeconfig", "/opt/cni/bin/calico",
                 "/opt/cni/bin/calico-ipam", "/var/lib/calico"):
        assert not host.file(path).exists, path
    assert "cali-" not in host.check_output("iptables-nft-save")
    assert host.check_output("ip route show table all proto bird") == ""
    assert host.run("ip link show vxlan.calico").rc != 0
    # kube-proxy's chains stay.
    assert "-A INPUT -j KUBE-FIREWALL" in host.check_output("iptables-nft-save -t filter")
