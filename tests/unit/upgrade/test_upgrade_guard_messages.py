"""What the upgrade guard tells the operator, whole: every result carries both versions and where
the running one was read, and each message is the one docs/upgrade.md shows."""

from __future__ import annotations

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import upgrade_guard as ug

MIRRORED_NODE = "docker.io/calico/node:v3.30.7"
FROM_DAEMONSET = "DaemonSet kube-system/calico-node (image %s)" % MIRRORED_NODE
FROM_INFO = "ClusterInformation default (calicoVersion v3.31.7)"


def node_daemonset(image=MIRRORED_NODE):
    return {"spec": {"template": {"spec": {"containers": [{"name": "calico-node", "image": image}]}}}}


def info(version):
    return {"spec": {"calicoVersion": version}}


def test_the_skip_refusal_is_the_message_docs_upgrade_md_shows():
    assert ug.check("3.32.1", None, node_daemonset()) == {
        "running": "3.30.7", "target": "3.32.1", "source": FROM_DAEMONSET, "status": "refused",
        "message": "Refusing: the upgrade from 3.30.7 (running, %s) to 3.32.1 (calico_version) skips a minor release. This "
                   "collection upgrades one minor release at a time: upgrade to the latest 3.31.x first, verify, then to 3.32.1; "
                   "or, knowing the risk, rerun with -e calico_upgrade_force=true." % FROM_DAEMONSET}


def test_a_downgrade_refusal_says_why_and_which_version_to_set_back():
    assert ug.check("3.31.2", info("v3.31.7")) == {
        "running": "3.31.7", "target": "3.31.2", "source": FROM_INFO, "status": "refused",
        "message": "Refusing: a downgrade from 3.31.7 (running, %s) to 3.31.2 (calico_version). Calico does not support going "
                   "back: the datastore may hold data the older release cannot read. Set calico_version back to 3.31.7; or, "
                   "knowing the risk, rerun with -e calico_upgrade_force=true." % FROM_INFO}


def test_a_forced_move_names_only_the_first_sentence_of_the_problem():
    assert ug.check("3.30.7", info("v3.31.7"), force=True) == {
        "running": "3.31.7", "target": "3.30.7", "source": FROM_INFO, "status": "forced",
        "message": "calico_upgrade_force=true, going ahead despite: a downgrade from 3.31.7 (running, %s) to 3.30.7 "
                   "(calico_version)." % FROM_INFO}


def test_allowed_moves_and_a_fresh_cluster_say_what_happens():
    assert ug.check("3.31.7", None, node_daemonset()) == {
        "running": "3.30.7", "target": "3.31.7", "source": FROM_DAEMONSET, "status": "upgrade",
        "message": "Upgrading Calico from 3.30.7 (running, %s) to 3.31.7." % FROM_DAEMONSET}
    assert ug.check("3.31.7", info("v3.31.7")) == {
        "running": "3.31.7", "target": "3.31.7", "source": FROM_INFO, "status": "same",
        "message": "Calico 3.31.7 is running (%s); the plan keeps it." % FROM_INFO}
    assert ug.check("3.31.7") == {
        "running": None, "target": "3.31.7", "source": None, "status": "fresh",
        "message": "No Calico release is running yet (no ClusterInformation, no calico-node DaemonSet): installing 3.31.7."}


def test_a_target_that_is_no_release_is_named_with_the_expected_form():
    with pytest.raises(ValueError) as bad:
        ug.check("v3.31", info("v3.31.7"))
    assert str(bad.value) == "calico_version 'v3.31' is not a release (MAJOR.MINOR.PATCH)"


def test_an_image_from_docker_hub_without_a_registry_path_still_gives_its_tag():
    # A locally retagged image can be a bare name:tag, without any "/".
    assert ug.running_release(None, node_daemonset("node:v3.30.7")) == ("3.30.7", "DaemonSet kube-system/calico-node (image node:v3.30.7)")


def test_a_calico_node_container_without_an_image_is_no_release():
    assert ug.running_release(None, {"spec": {"template": {"spec": {"containers": [{"name": "calico-node"}]}}}}) == (None, None)
