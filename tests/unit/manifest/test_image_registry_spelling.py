"""calico_image_registry is used as written, less a trailing ``/``. Docker's reference grammar
(distribution/reference) allows capitals in the registry host name, so a host such as
``MIRROR.LAB.BOX`` keeps every letter."""

from __future__ import annotations

import pytest

from ansible_collections.onprem.calico.plugins.plugin_utils import manifest


@pytest.mark.parametrize("registry", ["MIRROR.LAB.BOX", "MIRROR.LAB.BOX/"])
def test_a_registry_host_in_capitals_is_kept_whole(registry):
    assert manifest.rewrite_image("quay.io/calico/node:v3.31.7", registry) == "MIRROR.LAB.BOX/calico/node:v3.31.7"
