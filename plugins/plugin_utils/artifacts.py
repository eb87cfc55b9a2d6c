"""Artifacts: what the renderers produce from the plan, and how they are collected.

Each renderer module exposes ``render(plan, ctx) -> list[Artifact]``. The ``render`` action
plugin calls them in order and writes the files; nothing here touches a host.
"""

from __future__ import annotations

import importlib
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
