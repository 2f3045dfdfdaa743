"""The relay that bounds each kernel message (mlops_concepts/nbgrader_plugins/relay.py) and the grader's
bounded sockets (mlops_concepts/nbgrader_plugins/kernel.py), on real ZeroMQ sockets, without nbgrader.

The whole grading run is tried in tests/integration/test_huge_messages.py; here each piece alone:
the ZMTP stream is judged at the header of the frame that oversteps (before its body exists),
whatever the chunks the stream arrives in; a real publisher's messages pass the relay intact
until one oversteps, and none of that one reaches the subscriber; and a grader's socket that is
never read holds a bounded number of messages, however many the kernel sends.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import textwrap
import time

import psutil
import pytest
import zmq
from nbformat.v4 import new_notebook

from mlops_concepts.nbgrader_plugins import relay
from mlops_concepts.nbgrader_plugins.execute import SandboxedExecute
from mlops_concepts.nbgrader_plugins.kernel import GradingKernelManager, bounded_context
from mlops_concepts.nbgrader_plugins.relay import FRAME_COST, Breach, MessageMeter, Relay

GREETING = b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x01" + b"NULL".ljust(20, b"\0") + b"\0" + b"\0" * 31


def frame(body: bytes | int, more: bool = False, command: bool = False) -> bytes:
    """A ZMTP 3 frame; an int is a body size, of which only the header is made."""
    size = body if isinstance(body, int) else len(body)
    flags = (1 if more else 0) | (4 if command else 0)
    if size > 255:
        head = bytes([flags | 2]) + struct.pack(">Q", size)
    else:
        head = bytes([flags, size])
    return head + (b"" if isinstance(body, int) else body)


def message(*bodies: bytes) -> bytes:
    return b"".join(frame(b, more=i < len(bodies) - 1) for i, b in enumerate(bodies))


def feed_in_pieces(meter: MessageMeter, data: bytes, piece: int) -> None:
    for i in range(0, len(data), piece):
        meter.feed(data[i : i + piece])


@pytest.mark.parametrize("piece", [1, 7, 10**9])
def test_messages_under_the_bounds_pass_whatever_the_chunks(piece):
    meter = MessageMeter(max_bytes=1000, max_frames=8)
    stream = GREETING + frame(b"\x04\x05READY", command=True)
    stream += message(b"id", b"<IDS|MSG>", b"x" * 300, b"y" * 300) * 50  # 50 messages, each < 1000
    feed_in_pieces(meter, stream, piece)


@pytest.mark.parametrize("piece", [1, 5, 10**9])
def test_one_huge_frame_is_caught_at_its_header(piece):
    """Only the header of a 400 MB frame is fed: the meter needs nothing more to refuse it."""
    meter = MessageMeter(max_bytes=8 * 2**20, max_frames=1024)
    with pytest.raises(Breach) as caught:
        feed_in_pieces(meter, GREETING + message(b"id", b"<IDS|MSG>") + frame(400_000_000), piece)
    assert caught.value.code == "bytes"


def test_many_frames_each_under_the_limit_are_caught_together():
    """ZMQ_MAXMSGSIZE would pass each of these frames; their message is what is too large."""
    meter = MessageMeter(max_bytes=8 * 2**20, max_frames=10_000)
    meter.feed(GREETING)
    one = frame(b"z" * 2**20, more=True)
    for _ in range(7):
        meter.feed(one)  # 7 MB and a little: still under
    with pytest.raises(Breach) as caught:
        meter.feed(frame(2**20, more=True)[:9])  # the eighth frame's header alone
    assert caught.value.code == "bytes"


def test_many_empty_frames_are_caught_by_count_and_by_their_cost():
    by_count = MessageMeter(max_bytes=2**30, max_frames=1024)
    by_count.feed(GREETING)
    with pytest.raises(Breach) as caught:
        by_count.feed(frame(b"", more=True) * 1025)
    assert caught.value.code == "frames"
    by_cost = MessageMeter(max_bytes=1000 * FRAME_COST, max_frames=10**9)
    by_cost.feed(GREETING)
    with pytest.raises(Breach) as caught:
        by_cost.feed(frame(b"", more=True) * 1001)
    assert caught.value.code == "bytes"


def test_the_count_starts_again_with_each_message():
    meter = MessageMeter(max_bytes=1000, max_frames=3)
    meter.feed(GREETING)
    for _ in range(100):
        meter.feed(message(b"a" * 400, b"b" * 400))


def test_a_huge_command_frame_and_a_wrong_greeting_are_refused():
    meter = MessageMeter(max_bytes=1000, max_frames=8)
    meter.feed(GREETING)
    with pytest.raises(Breach):
        meter.feed(frame(10**9, command=True)[:9])
    with pytest.raises(Breach) as caught:
        MessageMeter(1000, 8).feed(b"GET / HTTP/1.1\r\n")
    assert caught.value.code == "protocol"
    with pytest.raises(Breach) as caught:
        MessageMeter(1000, 8).feed(GREETING + b"\xf0\x01")  # flags no frame has
    assert caught.value.code == "protocol"


# -- real sockets ------------------------------------------------------------------------------


@pytest.fixture
def folder():
    # ipc paths must be short (a Unix socket path has at most 107 bytes): not pytest's tmp_path.
    path = tempfile.mkdtemp(prefix="relay-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _wait_for(sub: zmq.Socket, pub: zmq.Socket, rel: Relay, seconds: float = 10.0) -> None:
    """Publish probes until one arrives through the relay (a subscription takes a moment)."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        pub.send(b"probe")
        rel.serve(0.02)
        if sub.poll(0):
            while sub.poll(0):
                sub.recv()
            return
    raise AssertionError("nothing came through the relay")


def test_a_real_publisher_passes_intact_until_one_message_oversteps(folder):
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    pub.bind(f"ipc://{folder}/inner-1")
    rel = Relay([(f"{folder}/outer-1", f"{folder}/inner-1")], max_bytes=2**20, max_frames=64)
    sub = ctx.socket(zmq.SUB)
    sub.subscribe(b"")
    sub.connect(f"ipc://{folder}/outer-1")
    try:
        _wait_for(sub, pub, rel)
        sent = [[b"head", os.urandom(1000), b"x" * 100_000] for _ in range(20)]
        for parts in sent:
            pub.send_multipart(parts)
        received = []
        until = time.monotonic() + 10
        while len(received) < len(sent) and time.monotonic() < until:
            rel.serve(0.02)
            while sub.poll(0):
                received.append(sub.recv_multipart())
        assert received == sent
        # Many frames, each far under the bound: together past it.
        pub.send_multipart([b"head"] + [b"y" * 100_000] * 20)
        with pytest.raises(Breach) as caught:
            for _ in range(500):
                rel.serve(0.02)
        assert caught.value.code == "bytes"
        rel.close()
        time.sleep(0.2)
        assert not sub.poll(0), "a frame of the oversized message reached the subscriber"
    finally:
        rel.close()
        ctx.destroy(linger=0)


def test_the_stop_reason_is_read_back_and_nothing_else(folder):
    assert relay.stop_reason(folder) is None
    relay.write_stop_reason(folder, "frames")
    assert relay.stop_reason(folder) == "frames"
    with open(os.path.join(folder, relay.STOP_REASON_FILE), "w") as f:
        f.write("\x1b[2J anything")
    assert relay.stop_reason(folder) is None


def test_every_socket_of_the_grading_manager_and_client_is_bounded():
    """The executor's settings reach the manager it makes, and the client that manager makes."""
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    executor = SandboxedExecute(sandbox=False, max_message_bytes=3_000_000, receive_queue=5)
    executor.nb = nb
    km = executor.create_kernel_manager()
    assert isinstance(km, GradingKernelManager)
    kc = km.client()
    try:
        for ctx in (km.context, kc.context):
            sock = ctx.socket(zmq.SUB)
            assert (sock.rcvhwm, sock.maxmsgsize) == (5, 3_000_000)
            sock.close()
    finally:
        kc.context.destroy(linger=0)
        km.context.destroy(linger=0)


PUBLISHER = textwrap.dedent(
    """
    import sys, time, zmq
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    pub.sndhwm = 0  # the kernel side queues all it likes: only the grader's queue may bound it
    pub.bind(sys.argv[1])
    body = b"m" * 1_000_000
    start = time.monotonic()
    while time.monotonic() - start < 30:
        pub.send(b"probe")
        if sys.stdin.readline().strip() == "go":
            break
    for _ in range(300):
        pub.send(body)
    print("sent", flush=True)
    sys.stdin.readline()
    """
)


def _held_by_an_unread_socket(folder: str, ctx: zmq.Context) -> int:
    """Bytes a SUB socket that is never read takes in while a publisher bursts 300 messages of 1 MB."""
    endpoint = f"ipc://{folder}/burst"
    proc = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, endpoint], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    made = ctx.socket(zmq.SUB)  # with the context's options; used through a plain (blocking) handle
    sub = zmq.Socket.shadow(made.underlying)
    sub.subscribe(b"")
    sub.connect(endpoint)
    try:
        while not sub.poll(100):
            proc.stdin.write("wait\n")
            proc.stdin.flush()
        while sub.poll(50):
            sub.recv()
        before = psutil.Process().memory_info().rss
        proc.stdin.write("go\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "sent"
        time.sleep(1.5)  # the grader is slow: nothing is read, ZeroMQ's thread takes what it may
        return psutil.Process().memory_info().rss - before
    finally:
        proc.stdin.write("end\n")
        proc.stdin.flush()
        proc.wait(30)
        made.close(linger=0)


def test_a_burst_at_an_unread_grader_socket_is_held_back_by_the_bounded_queue(folder):
    """Memory that depends on how fast the grader drains is not bounded: here it never drains."""
    held = _held_by_an_unread_socket(folder, bounded_context(8 * 2**20, 4))
    assert held < 40 * 2**20, f"{held / 2**20:.0f} MB held by an unread socket"
