"""Artifacts: what the renderers produce from the plan, and how they are collected.

Each renderer module exposes ``render(plan, ctx) -> list[Artifact]``. The ``render`` action
plugin calls them in order and writes the files; nothing here touches a host.
"""

from __future__ import annotations

import importlib
import os
import stat
from dataclasses import dataclass, field
from typing import Any

# Renderer modules under plugin_utils, in the order their artifacts are written.
RENDERERS = ("manifest", "resources", "tor")


class RenderError(Exception):
    """A renderer found the plan cannot be rendered (e.g. a field the release lacks).

    Raised before any file is written; ``messages`` lists every problem, each naming the
    variable or object and the fix.
    """

    def __init__(self, messages):
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


@dataclass(frozen=True)
class Artifact:
    """One file below ``calico_artifacts_dir``."""

    path: str  # relative to calico_artifacts_dir, forward slashes
    content: str
    mode: str = "0644"  # "0600" whenever a secret goes in (the render action passes placeholders)
    secret: bool = False  # never shown in diffs, logs or summaries


@dataclass
class RenderContext:
    """What a renderer may need beyond the plan. Secrets live here, never in the plan."""

    # bgp_password, etcd_ca, etcd_cert, etcd_key; the render action gives placeholders for the
    # password and the key (plugin_utils.placeholders.render_secrets)
    secrets: dict[str, Any] = field(default_factory=dict)
    # Directory laid out as <dir>/v<version>/<file>, overriding plan.manifest.mirror (tests, lab).
    upstream_dir: str | None = None


def renderer(name: str):
    """Import one renderer module by its short name."""
    return importlib.import_module("ansible_collections.onprem.calico.plugins.plugin_utils." + name)


def render_all(plan: dict, ctx: RenderContext, only: tuple[str, ...] = RENDERERS) -> list[Artifact]:
    """Every artifact of the plan; ``plan.json`` first."""
    import json

    out = [Artifact("plan.json", json.dumps(plan, indent=2, sort_keys=True) + "\n")]
    for name in only:
        out.extend(renderer(name).render(plan, ctx))
    return out


def stale_secret_files(base: str, artifacts: list[Artifact]) -> list[str]:
    """Files below ``base`` that an earlier render wrote as secrets (mode 0600, the mode only
    secret artifacts get) and this render does not write: a password removed from the inventory
    must not stay on disk in ``secrets/calico-bgp-password.yaml``. Relative paths, sorted."""
    written = {a.path for a in artifacts}
    stale = []
    for folder, _dirs, files in os.walk(base):
        for name in files:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, base).replace(os.sep, "/")
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600 and relative not in written:
                stale.append(relative)
    return sorted(stale)
