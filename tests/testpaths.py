"""Where tests find the repository and the shared upstream manifests (never copied in)."""

import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UPSTREAM_DIR = os.environ.get("CALICO_UPSTREAM_DIR") or os.path.join(os.path.dirname(REPO), "shared", "upstream", "calico")
