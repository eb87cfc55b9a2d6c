"""Preflight findings: every problem of an inventory, collected in one pass.

Each finding names its subject (a host or a variable), says what is wrong, and how to fix it.
The plan builder never stops at the first error: users fix their inventory once, not once per
run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


# A grouped finding names this many of its subjects and counts the rest.
SUBJECTS_SHOWN = 10


@dataclass(frozen=True)
class PreflightIssue:
    subject: str  # inventory host name or variable name (e.g. "calico_pod_cidr", "node01")
    message: str
    fix: str = ""
    # Every subject with this same cause (hosts or variables), when more than one has it.
    subjects: tuple[str, ...] = ()
    # Hosts the message names as affected when the subject is a variable (e.g. nodes inside a pool).
    hosts: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = "%s: %s" % (subject_list(self.subjects or (self.subject,)), self.message)
        return text + (" Fix: %s" % self.fix if self.fix else "")


def subject_list(subjects) -> str:
    """``a, b, c`` or ``a, b, ... j and 390 more (400 hosts)``: never a flood."""
    subjects = list(subjects)
    if len(subjects) <= SUBJECTS_SHOWN:
        return ", ".join(subjects)
    return "%s and %d more (%d in all)" % (", ".join(subjects[:SUBJECTS_SHOWN]), len(subjects) - SUBJECTS_SHOWN, len(subjects))


def group_by_cause(issues: list[PreflightIssue]) -> list[PreflightIssue]:
    """One issue per cause: findings with the same message and fix become one listing every subject.

    Rules word a per-host finding without the host's own values when the cause is shared (e.g.
    "calico_rack 'r9' is not defined"), so 400 nodes with one mistake give one line.
    """
    order: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for issue in issues:
        subjects, hosts = order.setdefault((issue.message, issue.fix), ([], []))
        subjects.extend(s for s in issue.subjects or (issue.subject,) if s not in subjects)
        hosts.extend(h for h in issue.hosts if h not in hosts)
    return [
        PreflightIssue(subjects[0], message, fix, tuple(subjects) if len(subjects) > 1 else (), tuple(hosts))
        for (message, fix), (subjects, hosts) in order.items()
    ]


def summary(errors: list[PreflightIssue], hosts) -> str:
    """The closing line: how many causes, and how many inventory hosts they touch."""
    hosts = set(hosts)
    touched = {s for e in errors for s in (e.subjects or (e.subject,)) + e.hosts if s in hosts}
    return "%d cause(s) found, affecting %d host(s); nothing was changed." % (len(errors), len(touched))


class Findings:
    """Collects errors and warnings while the plan is built."""

    def __init__(self):
        self.errors: list[PreflightIssue] = []
        self.warnings: list[PreflightIssue] = []

    def error(self, subject: str, message: str, fix: str = "", hosts=()) -> None:
        self.errors.append(PreflightIssue(subject, message, fix, (), tuple(hosts)))

    def warn(self, subject: str, message: str, fix: str = "", hosts=()) -> None:
        self.warnings.append(PreflightIssue(subject, message, fix, (), tuple(hosts)))


# --- Typha sizing -------------------------------------------------------------------------
TYPHA_MAX_REPLICAS = 20
TYPHA_NODES_PER_REPLICA = 200
TYPHA_PRODUCTION_MIN = 3


def typha_auto_replicas(nodes: int, production: bool) -> int:
    """Replica count for ``calico_typha_replicas: auto``.

    One replica per 200 nodes, at least 3 in production (1 otherwise), but never more than 20
    and never as many as the nodes (a rolling update needs a node without Typha): the caps win.
    """
    floor = TYPHA_PRODUCTION_MIN if production else 1
    return max(0, min(TYPHA_MAX_REPLICAS, nodes - 1, max(math.ceil(nodes / TYPHA_NODES_PER_REPLICA), floor)))


def check_typha_replicas(findings: Findings, replicas: int, nodes: int, production: bool) -> None:
    """Rules for an explicit ``calico_typha_replicas`` when Typha is enabled."""
    var = "calico_typha_replicas"
    if replicas <= 0:
        findings.error(
            var,
            "is %d but Typha is enabled: Felix will not start, it waits for a Typha to connect to." % replicas,
            "set it to 'auto' or to at least 1 (recommended: %d for %d nodes)." % (max(1, typha_auto_replicas(nodes, production)), nodes),
        )
        return
    if replicas >= nodes:
        findings.error(
            var,
            "is %d for %d nodes: with a replica on every node a rolling upgrade of Typha stalls "
            "(anti-affinity leaves no node to schedule the new pod)." % (replicas, nodes),
            "use fewer replicas than nodes, or 'auto' (%d)." % typha_auto_replicas(nodes, production),
        )
        return
    rule = "rule: one replica per %d nodes, at most %d, at least %d in production" % (
        TYPHA_NODES_PER_REPLICA,
        TYPHA_MAX_REPLICAS,
        TYPHA_PRODUCTION_MIN,
    )
    if replicas > TYPHA_MAX_REPLICAS:
        findings.warn(var, "is %d, above %d replicas (%s)." % (replicas, TYPHA_MAX_REPLICAS, rule))
    needed = math.ceil(nodes / TYPHA_NODES_PER_REPLICA)
    if replicas < needed:
        findings.warn(var, "is %d, below ceil(%d / %d) = %d (%s)." % (replicas, nodes, TYPHA_NODES_PER_REPLICA, needed, rule))
    if production and replicas < TYPHA_PRODUCTION_MIN:
        findings.warn(var, "is %d, below %d with calico_production: true (%s)." % (replicas, TYPHA_PRODUCTION_MIN, rule))
