"""What preflight says about the API host's architecture, whole: the operator reads the fix in it."""

from ansible_collections.onprem.calico.plugins.plugin_utils.catalog import api_host_architecture_check

PLAN = {"cluster": {"api_host_architecture": "amd64", "api_host": "cp1"}}


def test_a_host_that_did_not_answer_is_skipped_and_named():
    assert api_host_architecture_check(PLAN, None) == {
        "status": "skipped", "message": "cp1 did not answer: its architecture (planned amd64) is not checked."}


def test_the_planned_architecture_is_confirmed_with_what_the_host_reported():
    assert api_host_architecture_check(PLAN, "x86_64") == {"status": "ok", "message": "cp1 is amd64 (x86_64), as planned."}


def test_another_released_architecture_gives_the_value_to_set():
    assert api_host_architecture_check(PLAN, "aarch64") == {
        "status": "mismatch",
        "message": "calico_api_host_architecture is amd64 but cp1 reports aarch64 (arm64): calicoctl would be checked against "
                   "the wrong checksum. Fix: set calico_api_host_architecture: arm64."}


def test_an_architecture_without_calicoctl_lists_the_released_ones():
    # calicoctl-linux-<arch> binaries this collection has checksums for: amd64, arm64, ppc64le.
    assert api_host_architecture_check(PLAN, "riscv64") == {
        "status": "mismatch",
        "message": "calico_api_host_architecture is amd64 but cp1 reports riscv64 (no calicoctl release): calicoctl would be "
                   "checked against the wrong checksum. Fix: set calico_api_host_architecture: a supported host as "
                   "calico_api_host (calicoctl is released for amd64, arm64, ppc64le)."}
