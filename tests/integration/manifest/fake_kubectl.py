#!/usr/bin/env python
"""FAKE kubectl for tests of calico_rollout_wait through Ansible (no API server exists here).

It answers only ``kubectl --kubeconfig STATE [--context C] get RESOURCE [NAME] [-n NS] [-l SEL] -o json``.
The file passed as --kubeconfig is not a kubeconfig but the fake's state: JSON
``{"objects": {"<resource>/<name>": {...}}, "pods": [...], "events": [...]}``.
Unknown objects answer like kubectl does (rc 1, "Error from server (NotFound)").
"""

import json
import sys


def main(argv):
    args = list(argv)
    state_path = args[args.index("--kubeconfig") + 1]
    with open(state_path, encoding="utf-8") as handle:
        state = json.load(handle)
    rest = args[args.index("get") + 1:]
    resource = rest[0]
    if resource == "pods":
        selector = dict(part.split("=", 1) for part in rest[rest.index("-l") + 1].split(","))
        items = [p for p in state.get("pods", []) if all(p["metadata"]["labels"].get(k) == v for k, v in selector.items())]
        print(json.dumps({"items": items}))
        return 0
    if resource == "events":
        print(json.dumps({"items": state.get("events", [])}))
        return 0
    name = rest[1]
    obj = state.get("objects", {}).get("%s/%s" % (resource, name))
    if obj is None:
        sys.stderr.write('Error from server (NotFound): %s "%s" not found\n' % (resource, name))
        return 1
    print(json.dumps(obj))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
