"""ToR unit tests: make sample_plan importable, and the FRR push tests' scratch directories."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ansible_collections.onprem.calico.plugins.module_utils import frr_tor_config as ftc  # noqa: E402 (after the path)


@pytest.fixture
def disk(tmp_path, monkeypatch):
    """Where the push may write: backups, the saved frr.conf, and the temporary directory."""
    etc = tmp_path / "etc-frr"
    etc.mkdir()
    (etc / "vtysh.conf").write_text("service integrated-vtysh-config\n")
    monkeypatch.setattr(ftc, "FRR_CONFDIR", str(etc))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(ftc.tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "sim").mkdir()
    return tmp_path
