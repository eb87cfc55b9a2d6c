"""Fixtures for the manifest pipeline tests (helpers live in manifest_plans.py)."""

from __future__ import annotations

import copy
import os

import pytest
from manifest_plans import UPSTREAM_DIR, plan_for

from ansible_collections.onprem.calico.plugins.plugin_utils import catalog


@pytest.fixture
def upstream_dir():
    if not os.path.isdir(UPSTREAM_DIR):
        pytest.fail("upstream manifests not found at %s (set CALICO_UPSTREAM_DIR)" % UPSTREAM_DIR)
    return UPSTREAM_DIR


@pytest.fixture
def make_plan():
    def factory(version="3.31.7", variant=catalog.VARIANT_KDD):
        return copy.deepcopy(plan_for(version, variant))

    return factory
