"""review.md, whole: what an approver reads instead of diffing files. Every stage names each
object, node and router line that changes, and a line holding a secret's placeholder is redacted."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import review
from ansible_collections.onprem.calico.plugins.plugin_utils.placeholders import placeholder

TOKEN = placeholder("bgp_password")

OLD = {
    "plan.json": json.dumps({"nodes": {"n1": {"ip": "10.0.0.1"}, "n2": {"ip": "10.0.0.2"}, "n3": {"ip": "10.0.0.3"}}}),
    "calico.yaml": "kind: ConfigMap\nmetadata: {name: calico-config, namespace: kube-system}\ndata: {veth_mtu: '1440'}\n"
                   "---\nkind: ServiceAccount\nmetadata: {name: old-sa, namespace: kube-system}\n",
    "calico-resources.yaml": "kind: IPPool\nmetadata: {name: default-ipv4}\nspec: {cidr: 10.244.0.0/16}\n"
                             "---\nkind: BGPPeer\nmetadata: {name: rack1-tor}\nspec: {peerIP: 10.1.0.1}\n",
    "secrets/calico-bgp-password.yaml": "kind: Secret\nmetadata: {name: bgp-secret, namespace: kube-system}\n"
                                        "stringData: {password: '%s'}\n" % TOKEN,
    "tor/r1.conf": "router bgp 65001\n neighbor 10.0.0.1 remote-as 65002\n neighbor TOR password %s\n" % TOKEN,
    "tor/r2.conf": "router bgp 65002\n neighbor TOR password %s\n" % TOKEN,
    "tor/r3.conf": "router bgp 65003\n",
}
NEW = {
    "plan.json": json.dumps({"nodes": {"n1": {"ip": "10.0.0.1"}, "n2": {"ip": "10.0.0.22"}, "n4": {"ip": "10.0.0.4"}}}),
    "calico.yaml": "kind: ConfigMap\nmetadata: {name: calico-config, namespace: kube-system}\ndata: {veth_mtu: '1450'}\n"
                   "---\nkind: DaemonSet\nmetadata: {name: calico-node, namespace: kube-system}\n",
    "calico-resources.yaml": "kind: IPPool\nmetadata: {name: default-ipv4}\nspec: {cidr: 10.245.0.0/16}\n",
    "calico-resources-k8s.yaml": "kind: Role\nmetadata: {name: calico-bgp-password, namespace: kube-system}\n",
    "tor/r1.conf": "router bgp 65001\n neighbor 10.0.0.2 remote-as 65002\n neighbor TOR password %s\n neighbor 10.0.0.3 password %s\n"
                   % (TOKEN, TOKEN),
    "tor/r3.conf": "router bgp 65003\n",
    "tor/r4.conf": "router bgp 65004\n",
}


def write(directory, files):
    for rel, content in files.items():
        path = os.path.join(directory, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(content)
    return str(directory)


@pytest.fixture
def sets(tmp_path):
    return write(tmp_path / "old", OLD), write(tmp_path / "new", NEW)


def test_a_change_in_every_stage_is_named_object_by_object_and_line_by_line(sets):
    old, new = sets
    assert review.summary(old, new, sorted(NEW)) == "\n".join([
        "# Review: what this render changes",
        "",
        "Compared with the last published set. Secrets are placeholders in the artifacts and any",
        "line holding one is shown as <secret redacted>.",
        "",
        "## hosts",
        "",
        "- nodes added (1): n4",
        "- nodes changed (1): n2",
        "- nodes removed (1): n3",
        "",
        "## manifest",
        "",
        "- added (1): DaemonSet kube-system/calico-node",
        "- changed (1): ConfigMap kube-system/calico-config",
        "- removed (1): ServiceAccount kube-system/old-sa",
        "",
        "## bgp",
        "",
        "- added (1): Role kube-system/calico-bgp-password",
        "- changed (1): IPPool default-ipv4",
        "- removed (2): BGPPeer rack1-tor, Secret kube-system/bgp-secret",
        "",
        "## tor",
        "",
        "- r1: 2 line(s) added, 1 removed",
        "      + neighbor 10.0.0.2 remote-as 65002",
        "      + <secret redacted>",
        "      - neighbor 10.0.0.1 remote-as 65002",
        # r2 is no longer rendered: the render's paths do not name it, the old set does.
        "- r2: 0 line(s) added, 2 removed",
        "      - router bgp 65002",
        "      - <secret redacted>",
        "- r4: 1 line(s) added, 0 removed",
        "      + router bgp 65004",
        "",
    ])


def test_an_unchanged_render_says_no_change_for_every_stage(tmp_path):
    old, new = write(tmp_path / "old", NEW), write(tmp_path / "new", NEW)
    text = review.summary(old, new, sorted(NEW))
    assert text.split("## hosts\n", 1)[1] == "\n\n".join(["\n- no change", "## manifest\n\n- no change", "## bgp\n\n- no change",
                                                          "## tor\n\n- no change\n"])


def test_the_first_render_counts_what_the_set_holds(sets):
    _old, new = sets
    assert review.summary(None, new, sorted(NEW)) == "\n".join([
        "# Review: what this render changes",
        "",
        "Nothing to compare against: no earlier set was published to this location, so there is",
        "no list of changes. Review the artifacts themselves; this set holds:",
        "",
        "- hosts: 3 node(s) to prepare",
        "- manifest: 2 object(s) in calico.yaml",
        "- bgp: 2 Calico and Kubernetes object(s)",
        "- tor: 3 router configuration(s)",
        "",
    ])


def test_an_empty_first_render_counts_nothing(tmp_path):
    # plan.json of a plan without nodes (nothing to prepare) still counts as zero
    text = review.summary(None, write(tmp_path / "new", {"calico.yaml": "", "plan.json": "{}"}), ["calico.yaml"])
    assert "- hosts: 0 node(s) to prepare\n- manifest: 0 object(s) in calico.yaml\n- bgp: 0 Calico" in text
    assert "- tor: 0 router configuration(s)" in text


@pytest.mark.parametrize("count,listed", [
    (25, ", ".join("n%02d" % i for i in range(25))),
    (26, ", ".join("n%02d" % i for i in range(25)) + ", ... and 1 more"),
    (30, ", ".join("n%02d" % i for i in range(25)) + ", ... and 5 more"),
])
def test_a_long_list_names_the_first_25_and_counts_the_rest(tmp_path, count, listed):
    old = write(tmp_path / "old", {"plan.json": json.dumps({"nodes": {}})})
    new = write(tmp_path / "new", {"plan.json": json.dumps({"nodes": {"n%02d" % i: {} for i in range(count)}})})
    assert "\n- nodes added (%d): %s\n" % (count, listed) in review.summary(old, new, ["plan.json"])


def test_documents_without_a_kind_are_no_objects_and_cluster_objects_have_no_namespace(tmp_path):
    yaml_text = ("# a comment only\n---\n- a list\n---\nmetadata: {name: kindless}\n---\n"
                 "kind: FelixConfiguration\nmetadata: {name: default}\n---\nkind: Namespace\nmetadata:\n")
    old = write(tmp_path / "old", {"calico-resources.yaml": ""})
    new = write(tmp_path / "new", {"calico-resources.yaml": yaml_text})
    text = review.summary(old, new, ["calico-resources.yaml"])
    # A document without metadata still counts; it just has no name to show.
    assert text.split("## bgp\n\n", 1)[1].split("\n")[0].rstrip() == "- added (2): FelixConfiguration default, Namespace"


def test_a_secret_line_that_only_changes_its_neighbour_is_redacted_on_both_sides(tmp_path):
    old = write(tmp_path / "old", {"tor/leaf-1.conf": "neighbor 10.0.0.1 password %s\n" % TOKEN})
    new = write(tmp_path / "new", {"tor/leaf-1.conf": "neighbor 10.0.0.9 password %s\n" % TOKEN})
    text = review.summary(old, new, ["tor/leaf-1.conf"])
    assert "- leaf-1: 1 line(s) added, 1 removed\n      + <secret redacted>\n      - <secret redacted>\n" in text
    assert TOKEN not in text and "10.0.0.9" not in text
