"""A byte relay between the grader and a sandboxed kernel that bounds every message the kernel sends.

ZeroMQ keeps a multipart message whole: the grader's side of a socket receives every frame of a
message into memory before the grader can see any of it, and its per-frame limit
(``ZMQ_MAXMSGSIZE``) lets through a message of any number of frames each under the limit. So the
size of a whole message has to be judged before it reaches the grader's process. The kernel
launcher (:mod:`mlops_concepts.nbgrader_plugins.sandbox`), which runs on the host between the two, owns the
sockets the grader connects to, and forwards each connection to the kernel's own socket:

* grader to kernel: bytes are passed on as they come (the grader is trusted);
* kernel to grader: the ZMTP 3 stream is followed frame by frame (:class:`MessageMeter`). The size
  of each frame is in its header, so a message that would grow past ``max_bytes`` or
  ``max_frames`` is caught at the header of the frame that takes it there, before that frame's
  body is read from the kernel, let alone forwarded. The relay then reports a breach and the
  launcher stops the sandbox.

At most ``CHUNK`` bytes wait in the relay per direction of a connection; it reads from one side
only when the other has taken what it was given, so neither the relay nor the grader holds more
than that however fast the kernel writes (the kernel's own queue, inside the sandbox's memory
limit, fills instead, and its publisher drops what does not fit). Standard library only: the
launcher imports nothing else.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import struct
import time

#: Bytes read or buffered per direction of a connection at a time.
CHUNK = 256 * 1024
#: What a frame costs the grader besides its body (libzmq's message structure, Python's object):
#: a message of a million empty frames is not small.
FRAME_COST = 64
#: ZMTP 3 greeting: signature (10 bytes), version (2), mechanism (20), as-server (1), filler (31).
GREETING = 64
#: How long an accepted grader connection waits for the kernel's socket to appear, and how often
#: it is tried meanwhile.
CONNECT_SECONDS = 120.0
CONNECT_RETRY_SECONDS = 0.005
_MORE, _LONG, _COMMAND = 0x01, 0x02, 0x04
#: The launcher's exit status after a breach, and the file in the socket folder (beside the
#: kernel's own folder, so the kernel cannot write it) that names the breach for the grader.
BREACH_EXIT = 75
STOP_REASON_FILE = "stopped-because"
#: What a breach code may be: the grader reads nothing else from that file.
BREACHES = ("bytes", "frames", "protocol")


class Breach(Exception):
    """The kernel sent what no grader should receive; ``code`` says what, for the grader's note."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code


class MessageMeter:
    """Follows one kernel-to-grader ZMTP 3 byte stream and raises :class:`Breach` at the first frame
    header that takes a message past ``max_bytes`` (bodies plus ``FRAME_COST`` per frame) or
    ``max_frames``. A command frame (handshake, ping) is judged alone, like a message."""

    def __init__(self, max_bytes: int, max_frames: int):
        self.max_bytes, self.max_frames = max_bytes, max_frames
        self._greeting = GREETING  # greeting bytes still to come
        self._header = b""  # an incomplete frame header
        self._body = 0  # body bytes of the current frame still to come
        self._bytes = self._frames = 0  # of the current message so far

    def feed(self, data: bytes | memoryview) -> None:
        view, i, n = memoryview(data), 0, len(data)
        while i < n:
            if self._greeting:
                take = min(self._greeting, n - i)
                self._check_greeting(bytes(view[i : i + take]), GREETING - self._greeting)
                self._greeting -= take
                i += take
            elif self._body:
                take = min(self._body, n - i)
                self._body -= take
                i += take
            else:
                i = self._read_header(view, i, n)

    def _check_greeting(self, part: bytes, at: int) -> None:
        # Signature 0xFF, 8 bytes of padding, 0x7F, then the major version: 3 for ZMTP 3.x.
        for offset, byte in enumerate(part, start=at):
            wrong = {0: byte != 0xFF, 9: byte != 0x7F, 10: byte < 3}.get(offset, False)
            if wrong:
                raise Breach("protocol", "the kernel's socket does not speak ZMTP 3")

    def _read_header(self, view: memoryview, i: int, n: int) -> int:
        need = 1 if not self._header else (9 if self._header[0] & _LONG else 2)
        while len(self._header) < need and i < n:
            self._header += bytes(view[i : i + 1])
            i += 1
            if len(self._header) == 1:
                if self._header[0] & ~(_MORE | _LONG | _COMMAND):
                    raise Breach("protocol", f"invalid frame flags {self._header[0]:#x}")
                need = 9 if self._header[0] & _LONG else 2
        if len(self._header) < need:
            return i
        flags, header = self._header[0], self._header
        size = struct.unpack(">Q", header[1:9])[0] if flags & _LONG else header[1]
        self._header = b""
        self._body = size
        if flags & _COMMAND:
            self._charge(size, more=False, command=True)
        else:
            self._charge(size, more=bool(flags & _MORE), command=False)
        return i

    def _charge(self, size: int, more: bool, command: bool) -> None:
        if command:
            total, frames = size + FRAME_COST, 1
        else:
            self._bytes += size + FRAME_COST
            self._frames += 1
            total, frames = self._bytes, self._frames
        if frames > self.max_frames:
            raise Breach("frames", f"a message of more than {self.max_frames} frames")
        if total > self.max_bytes:
            raise Breach("bytes", f"a message of more than {self.max_bytes} bytes")
        if not more and not command:
            self._bytes = self._frames = 0


class _Pair:
    """One grader connection and the kernel connection it is forwarded to."""

    def __init__(self, outer: socket.socket, inner_path: str, meter: MessageMeter):
        self.outer, self.inner, self.inner_path, self.meter = outer, None, inner_path, meter
        self.to_inner, self.to_outer = bytearray(), bytearray()
        self.give_up_at = time.monotonic() + CONNECT_SECONDS

    def try_connect(self) -> bool:
        """Connect to the kernel's socket if it exists yet; False while it does not."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(self.inner_path)
        except OSError as err:
            sock.close()
            if err.errno in (errno.ENOENT, errno.ECONNREFUSED) and time.monotonic() < self.give_up_at:
                return False
            raise
        sock.setblocking(False)
        self.inner = sock
        return True

    def close(self) -> None:
        for sock in (self.outer, self.inner):
            if sock is not None:
                sock.close()


class Relay:
    """Listens at each ``outer`` path and forwards every connection to the matching ``inner`` path."""

    def __init__(self, paths: list[tuple[str, str]], max_bytes: int, max_frames: int):
        self.max_bytes, self.max_frames = max_bytes, max_frames
        self.listeners: dict[socket.socket, str] = {}
        self.pairs: list[_Pair] = []
        self._wake, self._woken = None, False
        for outer, inner in paths:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(outer)
            sock.listen(16)
            sock.setblocking(False)
            self.listeners[sock] = inner

    def close(self) -> None:
        for pair in self.pairs:
            pair.close()
        for sock in self.listeners:
            sock.close()
        self.pairs, self.listeners = [], {}

    def serve(self, seconds: float, wake: int | None = None) -> None:
        """Forward for about ``seconds``, or until ``wake`` is readable; raises :class:`Breach`
        when the kernel oversteps."""
        until = time.monotonic() + seconds
        self._wake, self._woken = wake, False
        while not self._woken:
            for pair in [p for p in self.pairs if p.inner is None]:
                try:
                    pair.try_connect()
                except OSError:  # the kernel's socket is gone for good: so is this connection
                    self._drop(pair)
            left = until - time.monotonic()
            if left <= 0:
                return
            waiting = any(p.inner is None for p in self.pairs)
            self._step(min(left, CONNECT_RETRY_SECONDS) if waiting else left)

    def _step(self, timeout: float) -> None:
        readable, writable = list(self.listeners), []
        if self._wake is not None:
            readable.append(self._wake)
        for pair in self.pairs:
            if len(pair.to_inner) < CHUNK:
                readable.append(pair.outer)
            if pair.to_outer:
                writable.append(pair.outer)
            if pair.inner is not None:
                if len(pair.to_outer) < CHUNK:
                    readable.append(pair.inner)
                if pair.to_inner:
                    writable.append(pair.inner)
        ready_r, ready_w, _ = select.select(readable, writable, [], timeout)
        self._woken = self._wake is not None and self._wake in ready_r
        for sock in ready_r:
            if sock in self.listeners:
                self._accept(sock)
        for pair in list(self.pairs):
            try:
                self._move(pair, ready_r, ready_w)
            except OSError:
                self._drop(pair)

    def _accept(self, listener: socket.socket) -> None:
        try:
            outer, _ = listener.accept()
        except OSError:
            return
        outer.setblocking(False)
        meter = MessageMeter(self.max_bytes, self.max_frames)
        self.pairs.append(_Pair(outer, self.listeners[listener], meter))

    def _move(self, pair: _Pair, ready_r, ready_w) -> None:
        if pair.outer in ready_r:
            data = self._read(pair.outer, pair.to_inner)
            if data == b"":
                return self._drop(pair)
            pair.to_inner += data or b""
        if pair.inner is not None and pair.inner in ready_r:
            data = self._read(pair.inner, pair.to_outer)
            if data == b"":
                return self._drop(pair)
            if data:
                pair.meter.feed(data)  # judged before any of it is passed on
                pair.to_outer += data
        if pair.inner is not None and pair.inner in ready_w:
            del pair.to_inner[: pair.inner.send(pair.to_inner)]
        if pair.outer in ready_w:
            del pair.to_outer[: pair.outer.send(pair.to_outer)]

    @staticmethod
    def _read(sock: socket.socket, into: bytearray) -> bytes | None:
        """What fits after ``into``: ``b""`` once the peer has closed its side, None if nothing came."""
        try:
            return sock.recv(CHUNK - len(into))
        except BlockingIOError:
            return None

    def _drop(self, pair: _Pair) -> None:
        pair.close()
        if pair in self.pairs:
            self.pairs.remove(pair)

    def flush(self, seconds: float) -> None:
        """Pass on what is already read from the kernel (its last words before it stopped)."""
        until = time.monotonic() + seconds
        while any(p.to_outer for p in self.pairs) and time.monotonic() < until:
            _, ready_w, _ = select.select([], [p.outer for p in self.pairs if p.to_outer], [], 0.01)
            for pair in [p for p in self.pairs if p.outer in ready_w]:
                try:
                    del pair.to_outer[: pair.outer.send(pair.to_outer)]
                except OSError:
                    self._drop(pair)


def write_stop_reason(folder: str, code: str) -> None:
    with open(os.path.join(folder, STOP_REASON_FILE), "w") as f:
        f.write(code)


def stop_reason(folder: str | None) -> str | None:
    """The breach that made the launcher stop the kernel whose sockets are in ``folder``, if any."""
    if not folder:
        return None
    try:
        with open(os.path.join(folder, STOP_REASON_FILE)) as f:
            code = f.read(16).strip()
    except OSError:
        return None
    return code if code in BREACHES else None


def endpoints(base: str, ports) -> list[str]:
    """The ipc socket paths jupyter_client derives from a connection's ``ip`` and ports."""
    return [f"{base}-{port}" for port in ports]


def remove_stale(paths) -> None:
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
