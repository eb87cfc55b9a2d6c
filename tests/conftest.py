"""Test-wide setup: import the checkout as the installed collection onprem.calico."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_COLLECTIONS = os.path.join(REPO, ".collections")
_LINK = os.path.join(_COLLECTIONS, "ansible_collections", "onprem", "calico")
if not os.path.exists(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink("../../..", _LINK)
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)
