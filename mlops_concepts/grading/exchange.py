"""``nbgrader collect`` that copies only what a student really submitted.

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
import stat

from nbgrader.exchange.default.collect import ExchangeCollect

from .submissions import read_regular
from .untrusted import quoted


class SafeExchangeCollect(ExchangeCollect):
    """The default exchange's collect, never following links nor opening special files."""

    def init_src(self):
        super().init_src()
        kept = []
        for record in self.src_records:
            path = os.path.join(self.inbound_path, record["filename"])
            mode = os.lstat(path).st_mode
            if stat.S_ISDIR(mode):
                kept.append(record)
            else:
                what = "a symbolic link" if stat.S_ISLNK(mode) else "not a folder"
                self.log.error(
                    "Not collecting %s: the inbound submission %s is %s (nothing it points to was read)",
                    quoted(record["username"]),
                    quoted(record["filename"]),
                    what,
                )
        self.src_records = kept

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
