"""nbgrader processes forked, already imported, from one process of the grading run.

Importing nbgrader (with nbconvert, nbclient, SQLAlchemy and jupyter_server) costs every nbgrader
process about 1.3 s of CPU. A grading run on this machine starts one process per batch to
autograde and one more to write its feedback: with two batches, four imports, well over a second
of both cores in which nobody is graded. So the command starts one *fork server* first, before
it imports anything heavy itself (:mod:`.cli`). The server imports nbgrader once, while the
command imports the pipeline, then forks a child for each nbgrader command: each starts in
milliseconds, with nbgrader imported. A child that autogrades a batch stages the batch's
submissions first (:func:`.batches.prepare`), so that two batches stage at once, on two cores.

The server is ``python -m mlops_concepts.class_grading.forkserver``, started with the environment of
every nbgrader process (:func:`nbgrader_env`), in the course directory. Requests come
over a Unix socket: the command line, the child's extra environment and the batch to prepare as
JSON, with the write ends of two pipes (passed as file descriptors): one for the child's output,
one for its exit status, which the child writes last. The reply is the child's process id. What
the server itself says (only errors) is kept in ``.grading/logs/forkserver.log`` once the run has
used it. A child that is killed
writes no status, so the run still tells a child that finished from one that died in the middle
of a student. Each child leads its own process group, so a batch past its timeout is killed with
its kernels as before; the server reaps its children, and exits when the grading run closes the
socket or ends. Each child takes its nbgrader command line as its title, so that ``ps`` and
``top`` show ``nbgrader autograde ...``, as for an nbgrader started by hand.

Only batches graded in the grading command's own process use it; a Dask worker starts its
nbgrader processes itself (:func:`.batches.nbgrader_later`).
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import traceback
from pathlib import Path
from typing import NoReturn

from .layout import LOGS

MAX_REQUEST = 1 << 20
MAX_LOG = 1 << 20  # the server's own output: errors only


def nbgrader_env() -> dict:
    """Environment for nbgrader subprocesses: it runs ``alembic`` by name, so our venv goes on PATH.

    A course configuration (``nbgrader_config.py``) that raises makes them stop. traitlets
    would only log the error and let nbgrader go on with its defaults: student code unsandboxed
    on this machine, full marks for every test cell that does not raise, keys unsealed.
    """
    bindir = str(Path(sys.executable).parent)
    return dict(
        os.environ,
        PATH=os.pathsep.join([bindir, os.environ.get("PATH", "")]),
        PYTHONWARNINGS="ignore",
        TRAITLETS_APPLICATION_RAISE_CONFIG_FILE_ERROR="1",
    )


class ForkServerGone(RuntimeError):
    """The fork server stopped (it could not import nbgrader, or was killed)."""


class Forked:
    """A child of the fork server, with what :func:`.batches._run` uses of a ``subprocess.Popen``."""

    def __init__(self, pid: int, stdout, status):
        self.pid = pid
        self.stdout = stdout
        self.status = status
        self.returncode: int | None = None

    def wait(self, timeout: float = 10.0) -> int | None:
        """The child's exit status, once it has exited; ``None`` if it died without saying (killed).

        Its output has ended, so it has exited or is exiting: its status pipe closes with it (the
        server reaps it).
        """
        if self.status is not None:
            ready, _, _ = select.select([self.status], [], [], timeout)
            said = self.status.read() if ready else b""
            self.status.close()
            self.status = None
            self.stdout.close()
            self.returncode = int(said) if said.strip().lstrip(b"-").isdigit() else None
        return self.returncode


class ForkServer:
    """The grading run's end of one fork server."""

    def __init__(self, root: Path, env: dict, log: Path):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # What the server says goes to a file of no name until there is something to keep
        # (:meth:`_keep_log`): the server may start before the run knows it will change anything.
        self.log = log
        self.output = tempfile.TemporaryFile()  # noqa: SIM115  (closed with the server)
        with theirs:
            try:
                self.proc: subprocess.Popen | None = subprocess.Popen(
                    [sys.executable, "-m", __name__, str(theirs.fileno())],
                    cwd=root,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=self.output,
                    stderr=subprocess.STDOUT,
                    pass_fds=[theirs.fileno()],
                    start_new_session=True,
                )
            except OSError as err:  # no process at all (a limit on processes or memory): every
                # request then fails as for a server that stopped, and batches fall back
                self.proc = None
                self.output.write(f"the fork server could not be started: {err}\n".encode())
                self.output.flush()
        self.sock = ours
        self.lock = threading.Lock()
        self.lost = False
        self.served = False  # it has forked a child

    def start(
        self, args: list[str], env: dict[str, str] | None = None, prepare: dict | None = None
    ) -> Forked:
        """Fork ``nbgrader <args>`` with ``env`` added to the server's environment; waits for the
        server to have imported nbgrader. Raises :class:`ForkServerGone` if it cannot.

        ``prepare``: a batch (:class:`.batches.Batch`, as a dict) the child prepares first
        (:func:`.batches.prepare`), writing to the same output.
        """
        read, write = os.pipe()
        status_read, status_write = os.pipe()
        try:
            request = json.dumps({"args": args, "env": env or {}, "prepare": prepare}).encode()
            with self.lock:
                self.served = True
                socket.send_fds(self.sock, [request], [write, status_write])
                reply = self.sock.recv(64)
            if not reply:
                raise ForkServerGone(self._why())
        except OSError as err:
            os.close(read)
            os.close(status_read)
            raise ForkServerGone(self._why()) from err
        except BaseException:
            os.close(read)
            os.close(status_read)
            raise
        finally:
            os.close(write)
            os.close(status_write)
        return Forked(int(reply), os.fdopen(read, "rb"), os.fdopen(status_read, "rb"))

    def first_loss(self) -> bool:
        """True the first time it is asked after the server has stopped (to say so once)."""
        with self.lock:
            first, self.lost = not self.lost, True
        return first

    def _why(self) -> str:
        tail = self._keep_log().decode(errors="replace").strip().splitlines()[-1:]
        return "the nbgrader fork server stopped" + (f": {tail[0][:300]}" if tail else "")

    def _keep_log(self) -> bytes:
        """Write what the server said, if anything, to ``log``; return it."""
        if self.output.closed:
            return b""
        # pread, not seek and read: two batches may ask at once, and share the file's offset.
        said = os.pread(self.output.fileno(), MAX_LOG, 0)
        if said:
            try:
                self.log.parent.mkdir(parents=True, exist_ok=True)
                self.log.write_bytes(said)
            except OSError:  # the reason still reaches the instructor, and batches fall back
                pass
        return said

    def close(self) -> None:
        self.sock.close()  # the server sees the end of its socket and exits
        if self.proc is not None and not self.served:
            self.proc.kill()  # still importing, perhaps: it has no child to wait for
            self.proc.wait()
        elif self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.served:  # else the run did not use it, and may have changed nothing at all
            self._keep_log()
        self.output.close()


_servers: dict[str, ForkServer] = {}
_servers_lock = threading.Lock()


def server_for(root: Path) -> ForkServer:
    """The fork server of the course at ``root``, started now if there is none."""
    key = str(root)
    with _servers_lock:
        if key not in _servers:
            _servers[key] = ForkServer(root, nbgrader_env(), root / LOGS / "forkserver.log")
        return _servers[key]


def close_all() -> None:
    """Stop every fork server this process started (the end of a grading run)."""
    with _servers_lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.close()


# The server side.


def _child(request: dict, output: int, status: int) -> None:
    """In the forked child: prepare the request's batch, if any, then become ``nbgrader <args>``,
    writing to ``output``, and its exit status to ``status`` at the very end; never returns."""
    code = 1
    try:
        from setproctitle import setproctitle  # imported by the server already

        os.set_inheritable(status, False)  # nbgrader's kernels must not hold it open
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # nbgrader waits for its kernels itself
        os.setpgid(0, 0)  # its own process group, for the timeout; the server sets it too
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        os.close(devnull)
        os.environ.update(request["env"])
        sys.argv = ["nbgrader", *request["args"]]
        # In ps and top, the nbgrader command it runs, not "python -m ...forkserver".
        setproctitle(" ".join(sys.argv))
        if request.get("prepare"):  # its batch's submissions, staged here: batches stage at once
            from .batches import Batch, prepare

            prepare(Batch(**request["prepare"]))
        from nbgrader.apps.nbgraderapp import main

        main()
        code = 0
    except SystemExit as stop:
        if isinstance(stop.code, int) or stop.code is None:
            code = stop.code or 0
        else:
            print(stop.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            os.write(status, str(code).encode())
        finally:
            os._exit(code)


def exit_now(code: int) -> NoReturn:
    """Flush what this process printed, then exit with ``code`` at once, without tearing down
    its modules: freeing nbgrader, SQLAlchemy and nbconvert object by object took the server and
    the command about 0.3 s each at the end of every run. For a process whose work is all written
    and closed (the server: its children are processes of their own)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said there
            pass
    os._exit(code)


def serve(fd: int) -> NoReturn:
    # What every nbgrader process imports, imported once here. The course's nbgrader_config.py
    # is still read by each child, so a change to it between two commands is seen.
    import nbconvert.preprocessors  # noqa: F401
    import nbgrader.preprocessors  # noqa: F401
    from nbgrader.apps.nbgraderapp import NbGraderApp  # noqa: F401
    from setproctitle import setproctitle  # noqa: F401  (each child's title)

    from . import batches  # noqa: F401  (a child stages its batch: batches.prepare)

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped as they exit
    sock = socket.socket(fileno=fd)
    while True:
        try:
            message, fds, _flags, _addr = socket.recv_fds(sock, MAX_REQUEST, 2)
        except OSError:
            exit_now(0)
        if not message:
            exit_now(0)  # the grading run closed its end
        if len(fds) != 2:  # not a request of ours: refused
            for extra in fds:
                os.close(extra)
            sock.send(b"")
            continue
        request = json.loads(message)
        pid = os.fork()
        if pid == 0:
            sock.close()
            _child(request, *fds)
        try:
            os.setpgid(pid, 0)
        except OSError:  # the child set it first, or has already exited
            pass
        for fd in fds:
            os.close(fd)
        sock.send(str(pid).encode())


if __name__ == "__main__":
    serve(int(sys.argv[1]))
