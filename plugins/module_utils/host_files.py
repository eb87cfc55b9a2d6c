# -*- coding: utf-8 -*-
# Copyright: onprem.calico contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Own several whole files on a host in one pass: compare, validate, replace atomically.

Runs on the target, standard library only. The contents arrive rendered (the controller templated
them), so one module run replaces a template task per file, each of which costs a host several
round trips. ``assess`` compares every file's content, mode and owner with what is wanted;
``apply`` stages each changed file next to its destination, runs every validation, and only when
all of them passed renames the staged files into place: a file that fails its check leaves every
file, and every directory, as it was.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re
import stat
import tempfile

_MODE = re.compile(r"^0[0-7]{3}$")


class HostFileError(Exception):
    """A request that cannot be carried out; the message names the file and the fix."""


def parse_mode(text, path):
    """'0644' -> 0o644. Octal digits only, as a string: YAML reads an unquoted 0644 as 420."""
    if not _MODE.match(str(text)):
        raise HostFileError("%s: mode %r is not an octal mode such as '0644'. Fix: quote it in the task." % (path, text))
    return int(str(text), 8)


def read_text(path):
    """The file's text, or None when it does not exist."""
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError) as err:
        if err.errno == errno.ENOENT:
            return None
        raise


def assess(files):
    """What has to change for every file of ``files`` ({path, content, mode, validate}) to be as wanted.

    A file is changed when its content differs, or its mode or owner does (it is written by, and so
    owned by, the user the module runs as: root under become).
    """
    seen = set()
    result = []
    for wanted in files:
        path = wanted["path"]
        if not os.path.isabs(path):
            raise HostFileError("%s is not an absolute path. Fix: give the full path." % path)
        if path in seen:
            raise HostFileError("%s is listed twice. Fix: list each file once." % path)
        seen.add(path)
        mode = parse_mode(wanted.get("mode") or "0644", path)
        before = read_text(path)
        before_mode = before_owner = None
        if before is not None:
            info = os.stat(path)
            before_mode, before_owner = stat.S_IMODE(info.st_mode), (info.st_uid, info.st_gid)
        changed = (before != wanted["content"] or before_mode != mode
                   or before_owner != (os.geteuid(), os.getegid()))
        result.append({
            "path": path, "before": before, "after": wanted["content"], "validate": wanted.get("validate"),
            "mode": mode, "before_mode": before_mode, "before_owner": before_owner, "changed": changed,
        })
    return result


def _make_parents(directory, created):
    """Create ``directory`` (0755) and missing parents, recording each one made in ``created``."""
    if os.path.isdir(directory):
        return
    _make_parents(os.path.dirname(directory), created)
    os.mkdir(directory, 0o755)
    created.append(directory)


def apply(assessment, validate=None):
    """Carry out ``assess``'s result. ``validate(command, staged_path)`` runs a file's check
    command (with ``%s`` for the staged file) and returns an error text, or None when it passed.

    Every changed file is staged first and every check runs before the first rename; on any
    failure the staged files and the directories made for them are removed again.
    """
    changed = [entry for entry in assessment if entry["changed"]]
    created, staged = [], []
    try:
        for entry in changed:
            directory = os.path.dirname(entry["path"])
            _make_parents(directory, created)
            fd, tmp = tempfile.mkstemp(prefix=".onprem-calico.", dir=directory)
            staged.append(tmp)
            with os.fdopen(fd, "w") as handle:
                handle.write(entry["after"])
            os.chmod(tmp, entry["mode"])
            if entry["validate"]:
                if "%s" not in entry["validate"]:
                    raise HostFileError("%s: the validate command %r has no %%s for the file. Fix: add it."
                                        % (entry["path"], entry["validate"]))
                error = validate(entry["validate"], tmp)
                if error:
                    raise HostFileError("%s: the new content fails %r: %s" % (entry["path"], entry["validate"], error))
        for entry, tmp in zip(changed, staged):
            os.rename(tmp, entry["path"])
    except BaseException:
        for tmp in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
        for directory in reversed(created):
            os.rmdir(directory)
        raise


def _attributes(mode, owner):
    return "mode %04o, owner %d:%d\n" % (mode, owner[0], owner[1])


def diffs(assessment):
    """Ansible diffs: each changed file's content, and its mode and owner where those change."""
    result = []
    for entry in assessment:
        if not entry["changed"]:
            continue
        if entry["before"] != entry["after"]:
            result.append({"before_header": entry["path"], "after_header": entry["path"],
                           "before": entry["before"] or "", "after": entry["after"]})
        wanted_owner = (os.geteuid(), os.getegid())
        if entry["before"] is not None and (entry["before_mode"], entry["before_owner"]) != (entry["mode"], wanted_owner):
            header = entry["path"] + " (mode, owner)"
            result.append({"before_header": header, "after_header": header,
                           "before": _attributes(entry["before_mode"], entry["before_owner"]),
                           "after": _attributes(entry["mode"], wanted_owner)})
    return result
