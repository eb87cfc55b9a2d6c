"""What a render hands the writer (plan.json first, then each renderer's files) and which files
on disk it must delete because an earlier render wrote a secret there that this one no longer does."""

from __future__ import annotations

import os
import sys
import types

from ansible_collections.onprem.calico.plugins.plugin_utils import artifacts
from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import Artifact, RenderContext, RenderError
from ansible_collections.onprem.calico.plugins.plugin_utils.tor import render as render_tor


def test_plan_json_comes_first_as_sorted_indented_json_and_then_each_renderer_in_turn(monkeypatch):
    # Two stand-in renderer modules: what render_all hands them and in which order their files come.
    calls = []
    for name in ("first_stub", "second_stub"):
        stub = types.ModuleType(name)
        stub.render = lambda plan, ctx, name=name: calls.append((name, plan, ctx)) or [Artifact("%s.conf" % name, name)]
        monkeypatch.setitem(sys.modules, "ansible_collections.onprem.calico.plugins.plugin_utils." + name, stub)
    plan = {"nodes": {"n1": {}}, "cluster": {"name": "dc1", "version": "3.31.7"}}
    ctx = RenderContext(secrets={"bgp_password": "token"})
    out = artifacts.render_all(plan, ctx, only=("second_stub", "first_stub"))
    assert out == [Artifact("plan.json", '{\n  "cluster": {\n    "name": "dc1",\n    "version": "3.31.7"\n  },\n'
                                         '  "nodes": {\n    "n1": {}\n  }\n}\n'),
                   Artifact("second_stub.conf", "second_stub"), Artifact("first_stub.conf", "first_stub")]
    assert calls == [("second_stub", plan, ctx), ("first_stub", plan, ctx)]


def test_the_renderer_is_the_plugin_utils_module_of_that_name():
    assert artifacts.renderer("tor").render is render_tor


def test_a_render_error_keeps_every_message_and_joins_them_for_the_log():
    error = RenderError(message for message in ("calico_mtu: too large", "calico_racks: empty"))
    assert error.messages == ["calico_mtu: too large", "calico_racks: empty"]
    assert str(error) == "calico_mtu: too large; calico_racks: empty"


def write(base, rel, mode):
    path = os.path.join(base, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("x\n")
    os.chmod(path, mode)
    return path


def test_only_owner_only_regular_files_this_render_does_not_write_are_stale(tmp_path):
    base = str(tmp_path)
    write(base, "secrets/calico-bgp-password.yaml", 0o600)  # password removed: stale
    write(base, "tor/old-router.conf", 0o600)  # router gone: stale
    write(base, "secrets/etcd-key.yaml", 0o600)  # still written: kept
    write(base, "calico.yaml", 0o644)  # not secret
    write(base, "notes/private.txt", 0o640)  # not the secret mode
    os.symlink(write(base, "elsewhere/target", 0o644), os.path.join(base, "secrets", "link.yaml"))
    written = [Artifact("secrets/etcd-key.yaml", "", "0600", True), Artifact("calico.yaml", "")]
    assert artifacts.stale_secret_files(base, written) == ["secrets/calico-bgp-password.yaml", "tor/old-router.conf"]
    assert artifacts.stale_secret_files(base, written + [Artifact("tor/old-router.conf", "", "0600", True),
                                                         Artifact("secrets/calico-bgp-password.yaml", "", "0600", True)]) == []
