"""Finding real private keys in files (the repository and the tarball must hold none)."""

import re

from cryptography.hazmat.primitives import serialization

PEM_KEY_RE = re.compile(rb"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----", re.S)


def private_keys_in(data):
    """The PEM private key blocks of ``data`` that are real keys: they load, or they are
    encrypted. A test's placeholder between the markers (such as KEY-MATERIAL) is none."""
    found = []
    for match in PEM_KEY_RE.finditer(data):
        if match.group(1) == b"ENCRYPTED ":
            found.append(match.group(0))
            continue
        try:
            serialization.load_pem_private_key(match.group(0), password=None)
        except (ValueError, TypeError):
            continue
        found.append(match.group(0))
    return found
