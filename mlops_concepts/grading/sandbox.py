"""Start a grading kernel inside a bubblewrap (``bwrap``) sandbox.

nbgrader runs student code with the grader's own permissions: a submission could read the other
students' work, the instructor's ``source/`` and hidden tests, or write the gradebook. During
autograding the kernel is therefore started through this launcher (see
:class:`mlops_concepts.grading.execute.SandboxedExecute`), which builds a fresh mount namespace
holding only:

* the operating system and Python read-only (``/usr``, the Python installation, the virtualenv,
  the course package);
* the submission's own working folder, read-write;
* a private ``/tmp`` and the folder holding the kernel's connection sockets.

It also unshares the network (no interface but a private loopback), the PID and IPC namespaces,
drops every capability, runs as an unprivileged user id inside a user namespace, and applies
resource limits (address space, file size, CPU time). The grader talks to the kernel over ZeroMQ
``ipc`` (Unix domain) sockets in a folder bound into the sandbox, since TCP to the host's loopback
is exactly what ``--unshare-net`` cuts off.

Run as ``python -m mlops_concepts.grading.sandbox [--memory-mb N] -f CONN [kernel args...]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import mlops_concepts

BWRAP = "bwrap"
SANDBOX_UID = 65534  # "nobody": the id the student code runs as inside the sandbox
TMP_BYTES = 256 * 1024 * 1024  # the sandbox's /tmp lives in memory: cap it
MAX_PROCESSES = 128
CGROUP_ROOT = Path("/sys/fs/cgroup")
# Where the operating system keeps what a Python kernel needs. /etc is NOT bound (it holds host
# secrets), except /etc/fonts, so matplotlib's text rendering does not complain on stderr.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot start on this machine; grading refuses to run student code unsandboxed."""


def _package_dir() -> str:
    return str(Path(mlops_concepts.__file__).resolve().parent)


def readonly_paths() -> list[str]:
    """Host paths the kernel may read: Python, the virtualenv and the course package."""
    paths = {
        str(Path(sys.base_prefix).resolve()),
        str(Path(sys.prefix).resolve()),
        _package_dir(),
    }
    # Keep only the outermost paths, so nested ones are not bound twice.
    ordered = sorted(paths)
    return [p for p in ordered if not any(p != q and p.startswith(q + os.sep) for q in ordered)]


def bwrap_argv(
    workdir: str, socket_dir: str, kernel_cmd: list[str], work_copy: str | None = None
) -> list[str]:
    """The full ``bwrap`` command line that runs ``kernel_cmd`` confined to ``workdir``.

    ``work_copy``, when given, is what is mounted at ``workdir``: a private copy, so nothing the
    student's code leaves behind (files, symbolic links) ever lands in the grader's folders.
    """
    argv = [
        BWRAP,
        "--unshare-all",  # user, ipc, pid, net, uts, cgroup namespaces
        "--unshare-user",
        "--uid", str(SANDBOX_UID),
        "--gid", str(SANDBOX_UID),
        "--die-with-parent",
        "--cap-drop", "ALL",
        "--hostname", "grader-sandbox",
    ]
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    if os.path.isdir("/etc/fonts"):  # font configuration only; nothing else of /etc
        argv += ["--ro-bind", "/etc/fonts", "/etc/fonts"]
    argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMP_BYTES), "--tmpfs", "/tmp",
             "--dir", "/tmp/home"]
    for path in readonly_paths():
        argv += ["--ro-bind", path, path]
    argv += ["--bind", work_copy or workdir, workdir, "--bind", socket_dir, socket_dir,
             "--chdir", workdir]
    env = {
        "HOME": "/tmp/home",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8",
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "IPYTHONDIR": "/tmp/ipython",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
        "OPENBLAS_NUM_THREADS": "1",
    }
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # machine-specific BLAS fixes
        if name in os.environ:
            env[name] = os.environ[name]
    argv.append("--clearenv")
    for name, value in env.items():
        argv += ["--setenv", name, value]
    return argv + ["--", *kernel_cmd]


def probe() -> None:
    """Raise :class:`SandboxUnavailable` with the reason if a sandbox cannot start here."""
    if shutil.which(BWRAP) is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed. Install it (Debian/Ubuntu: apt-get install "
            "bubblewrap), or, only if you trust every submission, grade without a sandbox by "
            "adding --SandboxedExecute.sandbox=False to mlops-concepts grade or nbgrader autograde"
        )
    here = os.getcwd()
    cmd = bwrap_argv(here, here, [sys.executable, "-c", "print('ok')"])
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
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
    """Put this process (and so the sandbox it becomes) in a control group, when allowed.

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-f", dest="connection_file", required=True)
    parser.add_argument("--memory-mb", type=int, default=2048)
    parser.add_argument("--cpu-seconds", type=int, default=600)
    parser.add_argument("--file-mb", type=int, default=200)
    args, kernel_args = parser.parse_known_args(argv)

    info = json.loads(Path(args.connection_file).read_text())
    if info.get("transport") != "ipc":
        sys.exit("the sandboxed kernel needs the ipc transport (SandboxedExecute sets it)")
    socket_dir = os.path.dirname(os.path.abspath(info["ip"]))
    connection = os.path.join(socket_dir, "connection.json")
    shutil.copyfile(args.connection_file, connection)

    # The kernel works on a private copy of its folder (links copied as links, never followed).
    work_copy = os.path.join(socket_dir, "work")
    shutil.copytree(os.getcwd(), work_copy, symlinks=True)

    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", connection, *kernel_args]
    argv_ = bwrap_argv(os.getcwd(), socket_dir, kernel, work_copy=work_copy)
    _confine(os.path.basename(socket_dir), args.memory_mb)
    _limit(args.memory_mb, args.cpu_seconds, args.file_mb)
    # ipykernel prints terminal hints on stdout; the grader talks to it over ZeroMQ only.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.execvp(argv_[0], argv_)


if __name__ == "__main__":
    main()
