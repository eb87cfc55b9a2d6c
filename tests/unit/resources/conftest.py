"""Fixtures for the BGP/IPAM resources tests: upstream schemas location and render contexts."""

from __future__ import annotations

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
if os.path.join(REPO, ".collections") not in sys.path:
    sys.path.insert(0, os.path.join(REPO, ".collections"))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from ansible_collections.onprem.calico.plugins.plugin_utils.artifacts import RenderContext  # noqa: E402

from plans import RELEASES, UPSTREAM_DIR  # noqa: E402


@pytest.fixture
def ctx():
    return RenderContext(upstream_dir=UPSTREAM_DIR, secrets={"bgp_password": "not-in-artifacts-7f3a"})


@pytest.fixture(params=RELEASES)
def release(request):
    return request.param
