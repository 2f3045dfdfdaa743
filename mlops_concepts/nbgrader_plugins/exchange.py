"""The course's exchange plugins: ``collect`` and ``release`` that trust nothing students wrote.

Release (assignments and feedback) and collect first refuse an exchange whose owners or modes
let a student replace the course folder or read or rename another's submission, and say the
``chmod``/``chown`` that fixes it; release creates what is missing with the right modes
(:mod:`.exchange_setup`). Collect judges every inbound entry on its own (:mod:`.inbound`): a bad
name, refused id, garbage timestamp, a submission owned by another user than the student it
names: skipped and listed, the rest collected.

Collect also copies only what a student really submitted.

nbgrader's default collect copies each inbound submission with :func:`shutil.copytree`, which
follows links: a link to the gradebook or to the instructor's notebook becomes a real copy in
``submitted/``, a link to ``/dev/urandom`` fills the disk, and a FIFO hangs the collect. A student
can plant any of these in their inbound copy (it is theirs to write). :class:`SafeExchangeCollect`
(``c.ExchangeFactory.collect`` in ``nbgrader_config.py``) copies regular files with one name and
folders, and leaves out, with a log line naming each (student text quoted):

* an inbound submission folder that is itself a link (to ``source/``, to another student's
  submission...): that submission is not collected at all;
* symbolic links, hard links, FIFOs, devices and sockets inside a submission.

nbgrader's own rules still apply: ``CourseDirectory.ignore``, ``include``, ``max_file_size`` and
``max_dir_size``.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import stat
import tempfile

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.release_assignment import ExchangeReleaseAssignment
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.utils import check_mode

from ..contract.folder_scan import read_regular
from ..contract.identity import StudentIds, roster
from ..contract.untrusted import printable, quoted
from . import exchange_setup
from .inbound import Skipped, existing_timestamp, latest, read_inbound


class _ExchangeModes:
    """Refuse an exchange whose modes let a student replace or read another's folders, after
    creating (right) the course folders that are missing."""

    def start(self):
        # Before nbgrader's own start, which would make a missing root 0777 with no sticky bit
        # and the inbound without one: here they are made 1777 and 3733 (nbgrader then leaves
        # existing folders as they are).
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self._check(missing_ok=True)  # before creating anything in a folder a student planted
        try:
            exchange_setup.create(self.root, self.coursedir.course_id, groupshared=self.coursedir.groupshared)
        except OSError as err:
            self.fail(f"Could not create the exchange {self.root}: {err}")
        self._check()
        return super().start()

    def _check(self, missing_ok=False):
        try:
            exchange_setup.require_safe(
                self.root, self.coursedir.course_id, self.coursedir.groupshared, missing_ok
            )
        except exchange_setup.UnsafeExchange as err:
            self.fail(str(err))


class SafeExchangeReleaseAssignment(_ExchangeModes, ExchangeReleaseAssignment):
    """nbgrader's release_assignment on an exchange made and checked by :mod:`.exchange_setup`."""


class SafeExchangeReleaseFeedback(_ExchangeModes, ExchangeReleaseFeedback):
    """nbgrader's release_feedback on an exchange made and checked by :mod:`.exchange_setup`."""


class SafeExchangeCollect(ExchangeCollect):
    """The default exchange's collect, on a safe exchange only, judging each inbound entry on its
    own (:mod:`.inbound`), never following links nor opening special files."""

    def init_src(self):
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        try:
            exchange_setup.require_safe(self.root, self.coursedir.course_id, self.coursedir.groupshared)
        except exchange_setup.UnsafeExchange as err:
            self.fail(str(err))
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}")
        if not check_mode(self.inbound_path, read=True, execute=True):
            self.fail(f"You don't have read permissions for the directory: {self.inbound_path}")
        listed = roster(self.coursedir.db_url) if StudentIds(parent=self).roster_only else None
        records, self.skipped = read_inbound(
            self.inbound_path,
            self.coursedir.assignment_id,
            self.coursedir.student_id if self.coursedir.student_id != "*" else "",
            self.check_owner,
            listed,
        )
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                self.duedate = gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                self.duedate = None
        self.src_records = latest(records, self.duedate, self.before_duedate)

    def copy_files(self):
        assignment = self.coursedir.assignment_id
        if self.src_records:
            self.log.info("Processing %d submissions of %s", len(self.src_records), quoted(assignment))
        else:
            self.log.warning("No submissions of %s to collect", quoted(assignment))
        for record in self.src_records:
            try:
                self._collect(record)
            except (OSError, RuntimeError) as err:  # this submission only: the others still come
                self.skipped.append(Skipped(record["filename"], f"copying it failed: {printable(err)}"))
        if self.skipped:
            self.log.error(
                "Skipped %d inbound entries of %s (nothing copied from them):\n%s",
                len(self.skipped),
                quoted(assignment),
                "\n".join(f"  {quoted(s.filename)}: {printable(s.reason, 500, False)}" for s in self.skipped),
            )

    def _collect(self, record):
        student_id, assignment = record["username"], self.coursedir.assignment_id
        src = os.path.join(self.inbound_path, record["filename"])
        dest = self.coursedir.format_path(self.coursedir.submitted_directory, student_id, assignment)
        if os.path.isdir(dest):
            existing = existing_timestamp(dest)
            newer = existing is None or record["timestamp"] > existing
            if not ((self.update and newer) or (self.before_duedate and existing != record["timestamp"])):
                hint = (
                    "No newer submission to collect"
                    if self.update
                    else "Submission already exists, use --update to update"
                )
                self.log.info("%s: %s %s", hint, quoted(student_id), quoted(assignment))
                return
        self.log.info("Collecting submission: %s %s", quoted(student_id), quoted(assignment))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        # Copied beside, then swapped in: a copy that fails leaves the previous submission as it was.
        staging = tempfile.mkdtemp(prefix=".collecting-", dir=os.path.dirname(dest))
        try:
            self.do_copy(src, os.path.join(staging, "copy"))
            if os.path.isdir(dest):
                shutil.rmtree(dest)
            os.rename(os.path.join(staging, "copy"), dest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def do_copy(self, src, dest, log=None):
        files, dirs = self._plan(src)
        size = sum(n for _, n in files)
        if size > 1000 * self.coursedir.max_dir_size:
            self.log.error("Directory size is too big")
            raise RuntimeError(
                f"Directory size is too big. Size is {size}, maximum size is "
                f"{1000 * self.coursedir.max_dir_size}"
            )
        os.makedirs(dest)
        for rel in dirs:
            os.makedirs(os.path.join(dest, rel), exist_ok=True)
        for rel, _ in files:
            source, target = os.path.join(src, rel), os.path.join(dest, rel)
            try:
                data = read_regular(source, 1000 * self.coursedir.max_dir_size)
            except OSError as err:  # changed into something else since it was listed
                self.log.warning("Not collecting %s: %s", quoted(rel), err)
                continue
            with open(target, "xb") as f:
                f.write(data)
            st = os.lstat(source)
            os.chmod(target, stat.S_IMODE(st.st_mode))
            os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
        for rel in reversed(["", *dirs]):
            st = os.lstat(os.path.join(src, rel))
            os.chmod(os.path.join(dest, rel), stat.S_IMODE(st.st_mode) | stat.S_IRWXU)
            os.utime(os.path.join(dest, rel), ns=(st.st_atime_ns, st.st_mtime_ns))
        if self.coursedir.groupshared:
            for dirname, _, filenames in os.walk(dest):
                mode = os.stat(dirname).st_mode
                os.chmod(dirname, (mode | 0o2770) & 0o2777)
                for name in filenames:
                    path = os.path.join(dirname, name)
                    os.chmod(path, (os.stat(path).st_mode | 0o660) & 0o777)

    def _plan(self, src):
        """(relative path, size) of the files to copy and the folders to make, links not followed."""
        exclude, include = self.coursedir.ignore, self.coursedir.include
        max_file = 1000 * self.coursedir.max_file_size if self.coursedir.max_file_size else None
        files, dirs, pending = [], [], [""]
        while pending:
            rel_dir = pending.pop(0)
            with os.scandir(os.path.join(src, rel_dir)) as it:
                entries = sorted(it, key=lambda e: e.name)
            for entry in entries:
                rel = os.path.join(rel_dir, entry.name) if rel_dir else entry.name
                if exclude and any(fnmatch.fnmatch(entry.name, g) for g in exclude):
                    continue  # nbgrader's ignore list (checkpoints, caches, feedback)
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISDIR(st.st_mode):
                    dirs.append(rel)
                    pending.append(rel)
                    continue
                if stat.S_ISLNK(st.st_mode):
                    reason = "it is a symbolic link"
                elif not stat.S_ISREG(st.st_mode):
                    reason = "it is a FIFO, device or socket"
                elif st.st_nlink > 1:
                    reason = "it is a hard link (the same file has another name)"
                elif include and not any(fnmatch.fnmatch(entry.name, g) for g in include):
                    continue
                elif max_file and st.st_size > max_file:
                    reason = "it is too large (see CourseDirectory.max_file_size)"
                else:
                    files.append((rel, st.st_size))
                    continue
                self.log.warning(
                    "Not collecting %s of %s: %s", quoted(rel), quoted(os.path.basename(src)), reason
                )
        return files, dirs
