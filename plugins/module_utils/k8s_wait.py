# -*- coding: utf-8 -*-
# Copyright: onprem.calico maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for Calico to roll out, and saying why it has not (standard library only).

The logic talks to the cluster only through a small client interface (:class:`KubeClient`):
``get`` one object, ``list_pods`` by label selector, ``list_events`` of a namespace.
:class:`KubectlClient` implements it with ``kubectl ... -o json`` on the host that holds the
kubeconfig; tests use an in-memory fake.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

# kind -> resource name kubectl understands without ambiguity
KIND_RESOURCES = {
    "CustomResourceDefinition": "customresourcedefinitions.apiextensions.k8s.io",
    "DaemonSet": "daemonsets.apps",
    "Deployment": "deployments.apps",
}
NAMESPACED_KINDS = ("DaemonSet", "Deployment")


class KubeClientError(Exception):
    """The API could not be asked (kubectl failed, no kubeconfig, unreachable server)."""


class KubeClient:
    """What the wait logic needs from a cluster."""

    def get(self, kind, name, namespace=None):
        """The object as a dict, or None when it does not exist."""
        raise NotImplementedError

    def list_pods(self, namespace, match_labels):
        raise NotImplementedError

    def list_events(self, namespace):
        raise NotImplementedError


class KubectlClient(KubeClient):
    """KubeClient over ``kubectl get -o json``; ``run(argv)`` returns (rc, stdout, stderr)."""

    def __init__(self, run, kubectl="kubectl", kubeconfig=None, context=None):
        self._run = run
        self._base = [kubectl]
        if kubeconfig:
            self._base += ["--kubeconfig", kubeconfig]
        if context:
            self._base += ["--context", context]

    def _get_json(self, args):
        argv = self._base + ["get"] + args + ["-o", "json"]
        rc, out, err = self._run(argv)
        if rc != 0:
            if "NotFound" in (err or ""):
                return None
            raise KubeClientError("%s failed (rc=%s): %s" % (" ".join(argv), rc, (err or out or "").strip()))
        try:
            return json.loads(out)
        except ValueError as exc:
            raise KubeClientError("%s returned no JSON: %s" % (" ".join(argv), exc))

    def get(self, kind, name, namespace=None):
        args = [KIND_RESOURCES.get(kind, kind), name]
        if namespace and kind in NAMESPACED_KINDS:
            args += ["-n", namespace]
        return self._get_json(args)

    def list_pods(self, namespace, match_labels):
        selector = ",".join("%s=%s" % (k, match_labels[k]) for k in sorted(match_labels))
        data = self._get_json(["pods", "-n", namespace, "-l", selector])
        return (data or {}).get("items") or []

    def list_events(self, namespace):
        data = self._get_json(["events", "-n", namespace])
        return (data or {}).get("items") or []


class Target:
    """One thing to wait for."""

    def __init__(self, kind, name, namespace=None):
        if kind not in KIND_RESOURCES:
            raise ValueError("cannot wait for kind %s (known: %s)" % (kind, ", ".join(sorted(KIND_RESOURCES))))
        self.kind = kind
        self.name = name
        self.namespace = namespace if kind in NAMESPACED_KINDS else None

    @property
    def label(self):
        if self.namespace:
            return "%s %s/%s" % (self.kind, self.namespace, self.name)
        return "%s %s" % (self.kind, self.name)

    def __repr__(self):
        return "Target(%s)" % self.label


class Status:
    def __init__(self, target, ready, detail):
        self.target = target
        self.ready = ready
        self.detail = detail

    def as_dict(self):
        return {"kind": self.target.kind, "name": self.target.name, "namespace": self.target.namespace,
                "ready": self.ready, "detail": self.detail}


def _generation_current(obj):
    status = obj.get("status") or {}
    generation = (obj.get("metadata") or {}).get("generation")
    observed = status.get("observedGeneration")
    return generation is None or (observed is not None and observed >= generation)


def crd_status(target, obj):
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Established":
            if condition.get("status") == "True":
                return Status(target, True, "Established")
            return Status(target, False, "not Established: %s %s" % (condition.get("reason", ""), condition.get("message", "")))
    return Status(target, False, "no Established condition yet")


def daemonset_status(target, obj):
    """Ready when the controller saw the latest spec and desired == updated == ready (== available)."""
    status = obj.get("status") or {}
    desired = status.get("desiredNumberScheduled", 0)
    updated = status.get("updatedNumberScheduled", 0)
    ready = status.get("numberReady", 0)
    available = status.get("numberAvailable", 0)
    counts = "desired %d, updated %d, ready %d, available %d" % (desired, updated, ready, available)
    if not _generation_current(obj):
        return Status(target, False, "spec not yet observed by the controller; " + counts)
    if desired == 0:
        return Status(target, False, "no node runs it (desired 0): check node selectors and taints")
    return Status(target, desired == updated == ready == available, counts)


def deployment_status(target, obj):
    spec_replicas = (obj.get("spec") or {}).get("replicas", 1)
    status = obj.get("status") or {}
    updated = status.get("updatedReplicas", 0)
    ready = status.get("readyReplicas", 0)
    available = status.get("availableReplicas", 0)
    total = status.get("replicas", 0)
    counts = "replicas %d, updated %d, ready %d, available %d" % (spec_replicas, updated, ready, available)
    if not _generation_current(obj):
        return Status(target, False, "spec not yet observed by the controller; " + counts)
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded":
            return Status(target, False, "progress deadline exceeded; " + counts)
    done = updated == ready == available == spec_replicas and total == spec_replicas
    return Status(target, done, counts)


def target_status(client, target):
    obj = client.get(target.kind, target.name, target.namespace)
    if obj is None:
        return Status(target, False, "not found")
    if target.kind == "CustomResourceDefinition":
        return crd_status(target, obj)
    if target.kind == "DaemonSet":
        return daemonset_status(target, obj)
    return deployment_status(target, obj)


class WaitResult:
    def __init__(self, ready, statuses, elapsed, rounds):
        self.ready = ready
        self.statuses = statuses
        self.elapsed = elapsed
        self.rounds = rounds

    @property
    def not_ready(self):
        return [s for s in self.statuses if not s.ready]


def wait_for(client, targets, timeout, interval=5.0, clock=time.monotonic, sleep=time.sleep):
    """Poll until every target is ready in the same round, or ``timeout`` seconds passed.

    ``timeout`` 0 checks once. Transient client errors count as "not ready yet" until the
    deadline; the last one is reported.
    """
    start = clock()
    rounds = 0
    while True:
        rounds += 1
        statuses = []
        for target in targets:
            try:
                statuses.append(target_status(client, target))
            except KubeClientError as exc:
                statuses.append(Status(target, False, "API error: %s" % exc))
        elapsed = clock() - start
        if all(s.ready for s in statuses):
            return WaitResult(True, statuses, elapsed, rounds)
        if elapsed + interval > timeout:
            return WaitResult(False, statuses, elapsed, rounds)
        sleep(interval)


# ----------------------------------------------------------------------------------------
# Diagnostics: what is not ready, and why
# ----------------------------------------------------------------------------------------


def _container_problems(pod):
    status = pod.get("status") or {}
    problems = []
    for group in ("initContainerStatuses", "containerStatuses"):
        for cs in status.get(group) or []:
            state = cs.get("state") or {}
            name = cs.get("name")
            restarts = cs.get("restartCount", 0)
            if "waiting" in state:
                waiting = state["waiting"] or {}
                text = "container %s waiting: %s" % (name, waiting.get("reason", "unknown"))
                if waiting.get("message"):
                    text += " (%s)" % waiting["message"]
            elif "terminated" in state and group == "containerStatuses":
                term = state["terminated"] or {}
                text = "container %s terminated: %s exit %s" % (name, term.get("reason", ""), term.get("exitCode"))
            elif group == "containerStatuses" and not cs.get("ready"):
                text = "container %s running but not ready" % name
            else:
                continue
            last = (cs.get("lastState") or {}).get("terminated")
            if restarts:
                text += "; restarts %d" % restarts
                if last:
                    text += ", last exit: %s %s" % (last.get("reason", ""), last.get("exitCode"))
            problems.append(text)
    return problems


def _pod_lines(pod):
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    where = (pod.get("spec") or {}).get("nodeName") or "unscheduled"
    problems = _container_problems(pod)
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") != "True":
            problems.append("not scheduled: %s %s" % (condition.get("reason", ""), condition.get("message", "")))
    if not problems and status.get("phase") == "Running":
        ready = [c for c in status.get("conditions") or [] if c.get("type") == "Ready"]
        if ready and ready[0].get("status") == "True":
            return []
    head = "  pod %s on %s: %s" % (meta.get("name"), where, status.get("phase", "Unknown"))
    if status.get("reason"):
        head += " (%s)" % status["reason"]
    return [head] + ["    " + p for p in problems]


def _event_time(event):
    return event.get("lastTimestamp") or event.get("eventTime") or (event.get("metadata") or {}).get("creationTimestamp") or ""


def _relevant(event, names, prefixes):
    name = (event.get("involvedObject") or event.get("regarding") or {}).get("name") or ""
    return name in names or any(name.startswith(p) for p in prefixes)


def diagnose(client, statuses, namespace, max_events=10):
    """Readable lines on every target that is not ready: pods, their reasons, recent events."""
    lines = []
    try:
        events = client.list_events(namespace)
    except KubeClientError as exc:
        events = []
        lines.append("events unavailable: %s" % exc)
    for status in statuses:
        if status.ready:
            continue
        target = status.target
        lines.append("%s not ready: %s" % (target.label, status.detail))
        if target.kind == "CustomResourceDefinition":
            continue
        try:
            obj = client.get(target.kind, target.name, target.namespace)
            match_labels = ((obj or {}).get("spec") or {}).get("selector", {}).get("matchLabels") or {}
            pods = client.list_pods(target.namespace, match_labels) if match_labels else []
        except KubeClientError as exc:
            lines.append("  cannot list pods: %s" % exc)
            continue
        names = {target.name} | {(p.get("metadata") or {}).get("name") for p in pods}
        pod_lines = [line for pod in sorted(pods, key=lambda p: (p.get("metadata") or {}).get("name", "")) for line in _pod_lines(pod)]
        lines.extend(pod_lines or ["  no unready pods found (%d pods match %s)" % (len(pods), match_labels)])
        # ReplicaSets and pods of a workload are named <workload>-<hash>...
        mine = [e for e in events if _relevant(e, names, (target.name + "-",))]
        mine.sort(key=_event_time)
        if mine:
            lines.append("  recent events:")
            for event in mine[-max_events:]:
                involved = event.get("involvedObject") or event.get("regarding") or {}
                count = event.get("count") or 1
                lines.append("    %s %s %s %s/%s: %s%s" % (
                    _event_time(event), event.get("type", ""), event.get("reason", ""),
                    involved.get("kind", ""), involved.get("name", ""),
                    (event.get("message") or event.get("note") or "").strip(),
                    " (x%d)" % count if count > 1 else "",
                ))
    return lines
