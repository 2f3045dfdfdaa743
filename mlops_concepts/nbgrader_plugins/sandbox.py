"""Start a grading kernel inside a bubblewrap (``bwrap``) sandbox.

nbgrader runs student code with the grader's own permissions: a submission could read the other
students' work, the instructor's ``source/`` and hidden tests, or write the gradebook. During
autograding the kernel is therefore started through this launcher (see
:class:`mlops_concepts.nbgrader_plugins.execute.SandboxedExecute`), which builds a fresh mount namespace
holding only:

* the operating system and Python read-only (``/usr``, the Python installation, the virtualenv,
  the course package);
* the submission's folder, read-only at ``/submission``, copied (inside the sandbox) into a
  size-limited in-memory folder at the submission's own path, where the kernel works: nothing the
  student's code writes ever lands on the grader's disk;
* a private, size-limited ``/tmp``, and the folder holding the kernel's own sockets;
* matplotlib's font list, built once on the host (:func:`font_cache`), read-only, copied into
  the kernel's own matplotlib folder so that no kernel scans every font again (and the course
  package's bytecode, written once on the host by :func:`compile_package`).

It also unshares the network (no interface but a private loopback), the PID and IPC namespaces,
drops every capability, runs as an unprivileged user id inside a user namespace, and applies
resource limits (address space, file size, CPU time; memory and process count through a control
group where the grader may create one). The grader talks to the kernel over ZeroMQ ``ipc`` (Unix
domain) sockets in a folder bound into the sandbox, since TCP to the host's loopback is exactly
what ``--unshare-net`` cuts off.

**The launcher itself runs on the host**, so nothing of the submission may reach it. The grader
starts it as ``python -I /absolute/path/sandbox.py --workdir DIR -f CONN``: isolated mode puts
neither the working directory nor this file's folder on ``sys.path`` (a ``json.py`` or
``mlops_concepts/`` planted next to a notebook is never imported here), its working directory is
the private socket folder, not the submission, and it imports the standard library only. It reads
no file of the submission; it stays alive as a small supervisor that relays the grader's sockets
to the kernel's, stopping the sandbox at the first message past a size bound
(:mod:`mlops_concepts.nbgrader_plugins.relay`), or if the socket folder (the one place on the host the
kernel can write to) grows past a few entries.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__:
    from . import relay
else:  # the launcher, run as a script in isolated mode: our own file, found by absolute path
    _spec = importlib.util.spec_from_file_location("_relay", Path(__file__).with_name("relay.py"))
    relay = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(relay)

BWRAP = "bwrap"
SANDBOX_UID = 65534  # "nobody": the id the student code runs as inside the sandbox
TMP_BYTES = 256 * 1024 * 1024  # the sandbox's /tmp lives in memory: cap it
WORK_BYTES = 256 * 1024 * 1024  # and so does its working folder
FILE_MB = 64  # the largest file the kernel may write
MAX_PROCESSES = 128
SUBMISSION_MOUNT = "/submission"  # the submission, read-only, inside the sandbox
FONT_CACHE_MOUNT = "/run/font-cache"  # matplotlib's font list, read-only, inside the sandbox
MPLCONFIGDIR = "/tmp/matplotlib"
# The course package the grader runs, read-only, inside the sandbox: the kernel imports it from
# here, first on its path, wherever the package and the course live on the host. (Bound at its
# host path, the kernel would import whichever copy its virtualenv names instead: with the course
# package installed from a clone and the course copied elsewhere with its own copy, every answer
# failed to import and scored 0.)
PACKAGE_PARENT_MOUNT = "/run/course-package"
# What matplotlib's font list depends on besides matplotlib itself: a change to any of these
# (fonts installed or removed, fontconfig's cache refreshed) builds a new list.
FONT_SOURCES = ("/etc/fonts", "/usr/share/fonts", "/usr/local/share/fonts", "/var/cache/fontconfig")
# The socket folder holds the grader's five sockets, and the kernel's folder with its connection
# file and five sockets. Anything beyond a few more entries, or a few KiB, is a submission filling
# the grader's disk: the sandbox is stopped.
SOCKET_DIR_MAX_ENTRIES = 32
SOCKET_DIR_MAX_BYTES = 1024 * 1024
WATCH_SECONDS = 0.1
#: The largest message the kernel may send the grader (all its frames), and the most frames in one.
MAX_MESSAGE_BYTES = 8_000_000
MAX_MESSAGE_FRAMES = 1024
#: The folder, inside the socket folder, that the sandbox sees: the kernel's own sockets. The
#: sockets the grader connects to sit beside it, out of the kernel's reach (see .relay).
KERNEL_SOCKETS = "sandbox"
CGROUP_ROOT = Path("/sys/fs/cgroup")
# Where the operating system keeps what a Python kernel needs. /etc is NOT bound (it holds host
# secrets), except /etc/fonts, so matplotlib's text rendering does not complain on stderr.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: This file: what the grader runs, by absolute path, as the launcher.
LAUNCHER = str(Path(__file__).resolve())


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot start on this machine; grading refuses to run student code unsandboxed."""


def _package_dir() -> str:
    # Found from this file, not by importing the package: the launcher imports nothing but the
    # standard library.
    return str(Path(__file__).resolve().parents[1])


def package_mount() -> str:
    """Where the sandbox sees the course package the grader runs."""
    return f"{PACKAGE_PARENT_MOUNT}/{Path(_package_dir()).name}"


def readonly_paths() -> list[str]:
    """Host paths the kernel may read at the same path: Python and the virtualenv. (The course
    package is bound at :func:`package_mount`.)"""
    paths = {
        str(Path(sys.base_prefix).resolve()),
        str(Path(sys.prefix).resolve()),
    }
    # Keep only the outermost paths, so nested ones are not bound twice.
    ordered = sorted(paths)
    return [p for p in ordered if not any(p != q and p.startswith(q + os.sep) for q in ordered)]


#: The grading kernel: ipykernel's own entry point, without its debugger. Nothing debugs a kernel
#: that grades, and setting up debugpy took about a tenth of a second of every kernel's start
#: (ipykernel runs without it when it cannot be imported).
KERNEL_MAIN = (
    f"import sys; sys.path.insert(0, {PACKAGE_PARENT_MOUNT!r}); sys.modules['debugpy'] = None; "
    "from ipykernel import kernelapp; kernelapp.launch_new_instance()"
)


def kernel_command(connection_file: str, extra: list[str] | None = None) -> list[str]:
    """The kernel, as run inside the sandbox: isolated mode, so the standard library and the
    installed packages come before the working folder (IPython adds it after them)."""
    return [sys.executable, "-I", "-B", "-c", KERNEL_MAIN, "-f", connection_file, *(extra or [])]


def font_cache(base: str | None = None) -> str | None:
    """A folder on the host holding matplotlib's font list, built once and copied into every kernel.

    Without it, each sandboxed kernel starts with an empty ``MPLCONFIGDIR`` and matplotlib scans
    every font file again on import (about half a second per student). The list is built by
    this Python with ``HOME`` empty, so it names only fonts the sandbox also sees (``/usr`` and
    ``/etc/fonts``), and is kept under a key of this Python, matplotlib's installed files and
    the font folders, so an upgrade or a new font builds a new one. Should it ever name a font
    the kernel cannot open, matplotlib rebuilds its list inside the sandbox, as without a
    cache. ``None`` when there is no matplotlib or nowhere to keep the list: kernels then scan
    the fonts themselves, as before. Only the standard library is imported here.
    """
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.origin:
        return None
    stamp = [sys.executable]
    for path in (spec.origin, *FONT_SOURCES):
        try:
            stamp.append(f"{path}={os.stat(path).st_mtime_ns}")
        except OSError:
            continue
    key = hashlib.sha256("\0".join(stamp).encode()).hexdigest()[:16]
    if base is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "mlops-concepts" / f"matplotlib-{key}"
    if any(folder.glob("fontlist-*.json")):
        return str(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Built in a private folder, then moved in whole: a kernel never sees half a list.
        with tempfile.TemporaryDirectory(dir=folder) as build:
            env = {
                "MPLCONFIGDIR": build,
                "HOME": build,
                "LANG": "C.UTF-8",
                "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
            }
            subprocess.run(
                [sys.executable, "-I", "-c", "import matplotlib.font_manager"],
                env=env,
                cwd=build,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=300,
            )
            for made in Path(build).glob("fontlist-*.json"):
                os.replace(made, folder / made.name)
    except (OSError, subprocess.SubprocessError):
        return None
    return str(folder) if any(folder.glob("fontlist-*.json")) else None


def compile_package() -> bool:
    """Write the course package's bytecode next to its sources, where the sandbox reads it.

    The kernel runs with ``-B`` on a read-only copy of the package, so it can never write
    bytecode itself: a module the host has not imported (the diagrams, the checkpoints) was
    compiled again in every student's kernel, and with ``PYTHONDONTWRITEBYTECODE`` set, in every
    grading process too. Files already compiled are only checked (their timestamps). Nothing is
    written where the grader may not write (an installed package has its bytecode already).
    """
    import compileall

    folder = _package_dir()
    if not os.access(folder, os.W_OK):
        return False
    return bool(compileall.compile_dir(folder, quiet=2))


def bwrap_argv(workdir: str, socket_dir: str, command: list[str], fonts: str | None = None) -> list[str]:
    """The full ``bwrap`` command line that runs ``command`` confined to a copy of ``workdir``;
    ``fonts``: a :func:`font_cache` folder, copied into the kernel's own matplotlib folder."""
    argv = [
        BWRAP,
        "--unshare-all",  # user, ipc, pid, net, uts, cgroup namespaces
        "--unshare-user",
        "--uid",
        str(SANDBOX_UID),
        "--gid",
        str(SANDBOX_UID),
        "--die-with-parent",
        "--cap-drop",
        "ALL",
        "--hostname",
        "grader-sandbox",
    ]
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    if os.path.isdir("/etc/fonts"):  # font configuration only; nothing else of /etc
        argv += ["--ro-bind", "/etc/fonts", "/etc/fonts"]
    argv += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(TMP_BYTES),
        "--tmpfs",
        "/tmp",
        "--dir",
        "/tmp/home",
    ]
    for path in readonly_paths():
        argv += ["--ro-bind", path, path]
    argv += ["--ro-bind", _package_dir(), package_mount()]
    if fonts:
        argv += ["--ro-bind", fonts, FONT_CACHE_MOUNT]
    argv += [
        "--ro-bind",
        workdir,
        SUBMISSION_MOUNT,
        "--size",
        str(WORK_BYTES),
        "--tmpfs",
        workdir,
        "--bind",
        socket_dir,
        socket_dir,
        "--chdir",
        workdir,
    ]
    env = {
        "HOME": "/tmp/home",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8",
        "MPLCONFIGDIR": MPLCONFIGDIR,
        "IPYTHONDIR": "/tmp/ipython",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
        "OPENBLAS_NUM_THREADS": "1",
    }
    # Machine-specific BLAS fixes, and nbgrader's "autograde" marker (the course skips drawing
    # widgets nobody will see while grading).
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "NBGRADER_EXECUTION"):
        if name in os.environ:
            env[name] = os.environ[name]
    argv.append("--clearenv")
    for name, value in env.items():
        argv += ["--setenv", name, value]
    # Inside the sandbox: copy the submission into the working folder (links stay links, special
    # files stay special; nothing is followed), and the font list into matplotlib's folder (a
    # copy: matplotlib may rewrite it), then become the kernel.
    fonts_copy = (
        (f"mkdir -p {MPLCONFIGDIR} && cp {FONT_CACHE_MOUNT}/fontlist-*.json {MPLCONFIGDIR}/ 2>/dev/null; ")
        if fonts
        else ""
    )
    copy = (
        f'cp -RP --preserve=mode,timestamps {SUBMISSION_MOUNT}/. "$0" 2>/dev/null; '
        f'{fonts_copy}cd "$0" && exec "$@"'
    )
    return argv + ["--", "/bin/sh", "-c", copy, workdir, *command]


def probe() -> None:
    """Raise :class:`SandboxUnavailable` with the reason if a sandbox cannot start here."""
    if shutil.which(BWRAP) is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed. Install it (Debian/Ubuntu: apt-get install "
            "bubblewrap), or, only if you trust every submission, grade without a sandbox by "
            "adding --SandboxedExecute.sandbox=False to mlops-concepts grade or nbgrader autograde"
        )
    import tempfile

    with tempfile.TemporaryDirectory(prefix="mlops-probe-") as here:
        cmd = bwrap_argv(here, here, [sys.executable, "-I", "-c", "print('ok')"])
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=here)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise SandboxUnavailable(f"bubblewrap could not start: {err}") from None
    if result.returncode != 0 or result.stdout.strip() != "ok":
        raise SandboxUnavailable(
            "bubblewrap is installed but cannot create a sandbox here "
            f"(exit {result.returncode}: {result.stderr.strip()[:300]}). Unprivileged user "
            "namespaces may be disabled (sysctl kernel.unprivileged_userns_clone=1)."
        )


def cgroup_dirs(name: str) -> list[Path]:
    """Where the kernel's control group lives: cgroup v2, or the v1 memory and pids hierarchies."""
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        return [CGROUP_ROOT / name]
    return [CGROUP_ROOT / c / name for c in ("memory", "pids") if (CGROUP_ROOT / c).is_dir()]


def _confine(name: str, memory_mb: int) -> list[str]:
    """Put this process (and so the sandbox it starts) in a control group, when allowed.

    Resource limits (``setrlimit``) are per process and, for root, do not cap the number of
    processes; a control group caps the memory of the whole sandbox and its process count. Best
    effort: without the right to create one (an unprivileged grader), the rlimits still apply.
    """
    done = []
    for folder in cgroup_dirs(name):
        try:
            folder.mkdir(exist_ok=True)
            limits = {
                "memory.max": memory_mb * 2**20,
                "memory.limit_in_bytes": memory_mb * 2**20,
                "memory.swap.max": 0,
                "pids.max": MAX_PROCESSES,
            }
            for file, value in limits.items():
                if (folder / file).exists():
                    (folder / file).write_text(str(value))
            (folder / "cgroup.procs").write_text(str(os.getpid()))
            done.append(str(folder))
        except OSError:
            continue
    return done


def release_cgroups(name: str) -> None:
    """Remove the kernel's control groups once it has stopped (empty groups only)."""
    for folder in cgroup_dirs(name):
        try:
            folder.rmdir()
        except OSError:
            pass


def _limit(memory_mb: int, cpu_seconds: int, file_mb: int) -> None:
    mem = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    size = file_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def socket_dir_usage(folder: str) -> tuple[int, int]:
    """(entries, bytes) under ``folder``, at every depth, never following links (lstat only).

    Stops counting once past the limits: a folder of a million files costs no more to judge
    than one just over the limit.
    """
    entries = total = 0
    stack = [folder]
    while stack and entries <= SOCKET_DIR_MAX_ENTRIES:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                entries += 1
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                total += info.st_size
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                if entries > SOCKET_DIR_MAX_ENTRIES:
                    break
    return entries, total


def supervise(child: subprocess.Popen, socket_dir: str, grader: int, relay_=None) -> int:
    """Wait for the sandbox, forwarding the grader's connections through ``relay_``; stop it if it
    sends a message past the relay's bounds, starts filling the socket folder on the host, or if
    the grader (process ``grader``) is gone.

    The grader removes the whole socket folder once the kernel has stopped. jupyter_client starts
    this launcher in a session of its own, so killing a grading process past its timeout does not
    reach it: without the check, a kernel in an endless loop would run on until its CPU limit,
    holding the grader's output open, and the batch would wait for it.
    """
    exited = _exit_fd(child)
    while True:
        if relay_ is None:
            try:
                return child.wait(timeout=WATCH_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        else:
            try:
                relay_.serve(WATCH_SECONDS, wake=exited)
            except relay.Breach as breach:
                # The grader learns why from a file it alone can read (the sandbox sees only
                # KERNEL_SOCKETS), before this process ends and it notices the kernel is gone.
                child.kill()  # the sandbox dies with it (bwrap --die-with-parent, PID namespace)
                relay.write_stop_reason(socket_dir, breach.code)
                relay_.close()
                child.wait()
                return relay.BREACH_EXIT
            if child.poll() is not None:
                relay_.flush(0.2)
                return child.returncode
        if os.getppid() != grader:
            child.kill()  # the sandbox dies with it (bwrap --die-with-parent, PID namespace)
            return child.wait()
        try:
            entries, size = socket_dir_usage(socket_dir)
        except OSError:
            continue
        if entries > SOCKET_DIR_MAX_ENTRIES or size > SOCKET_DIR_MAX_BYTES:
            child.kill()  # the sandbox dies with it (bwrap --die-with-parent, PID namespace)
            return child.wait()


def _exit_fd(child: subprocess.Popen) -> int | None:
    """A descriptor that becomes readable when ``child`` exits (Linux 5.3+), so the relay wakes."""
    try:
        return os.pidfd_open(child.pid)
    except (AttributeError, OSError):
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-f", dest="connection_file", required=True)
    parser.add_argument("--workdir", required=True, help="the submission's folder (read-only)")
    parser.add_argument("--memory-mb", type=int, default=2048)
    parser.add_argument("--cpu-seconds", type=int, default=600)
    parser.add_argument("--file-mb", type=int, default=FILE_MB)
    parser.add_argument("--max-message-bytes", type=int, default=MAX_MESSAGE_BYTES)
    parser.add_argument("--max-message-frames", type=int, default=MAX_MESSAGE_FRAMES)
    args, kernel_args = parser.parse_known_args(argv)
    # jupyter_client names the grader that started us, so a grader already gone is noticed too.
    grader = int(os.environ.get("JPY_PARENT_PID") or os.getppid())

    info = json.loads(Path(args.connection_file).read_text())
    if info.get("transport") != "ipc":
        sys.exit("the sandboxed kernel needs the ipc transport (SandboxedExecute sets it)")
    socket_dir = os.path.dirname(os.path.abspath(info["ip"]))
    # The kernel binds its sockets in a folder of its own; this process binds the ones the grader
    # connects to (the connection file's), and relays between them, bounding every message.
    kernel_dir = os.path.join(socket_dir, KERNEL_SOCKETS)
    os.mkdir(kernel_dir, 0o700)
    inner = dict(info, ip=os.path.join(kernel_dir, "kernel"))
    connection = os.path.join(kernel_dir, "connection.json")
    Path(connection).write_text(json.dumps(inner))
    ports = [info[f"{name}_port"] for name in ("shell", "iopub", "stdin", "control", "hb")]
    outer_paths = relay.endpoints(os.path.abspath(info["ip"]), ports)
    relay.remove_stale(outer_paths)
    relay_ = relay.Relay(
        list(zip(outer_paths, relay.endpoints(inner["ip"], ports), strict=True)),
        args.max_message_bytes,
        args.max_message_frames,
    )

    workdir = os.path.abspath(args.workdir)
    argv_ = bwrap_argv(workdir, kernel_dir, kernel_command(connection, kernel_args), font_cache())
    _confine(os.path.basename(socket_dir), args.memory_mb)
    # The kernel's own stdout and stderr (its "original" streams, which student code can write
    # to directly) go nowhere: the grader hears the kernel over ZeroMQ only, where every byte
    # counts against the submission's output budget. Written to the grader's terminal, they
    # would be an unbounded, unescaped channel into the instructor's logs.
    child = subprocess.Popen(
        argv_,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=socket_dir,
        close_fds=True,
        preexec_fn=lambda: _limit(args.memory_mb, args.cpu_seconds, args.file_mb),
    )
    sys.exit(supervise(child, socket_dir, grader, relay_))


if __name__ == "__main__":
    main()
