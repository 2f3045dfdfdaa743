"""One huge kernel message never blows up the grader (issue 25, item 6), through both entry points.

A class is graded with the instructor's command (``mlops-concepts grade``) while the memory of
every grading process is sampled, and two of the same submissions again with plain ``nbgrader
autograde``. After its honest answers, each flooding student runs one cell that sends:

* **huge-display**: a single display message of 400 MB (``display`` of a 400 MB text);
* **many-frames**: one message of 400 frames of 1 MB each, every frame far under the per-frame
  limit (``ZMQ_MAXMSGSIZE``), the message far over the whole-message one;
* **burst**: 1000 display messages of 1 MB each, as fast as the kernel can.

The first two then sleep for ten minutes: only a kernel stopped at once, by the bound, gives the
note checked here (the cell timeout, two minutes here so that building 400 MB on a busy machine
never reaches it, would give another). Each flood costs its student the cells it
ran in and after, with a clear note in the feedback; the honest answers before it and the honest
student keep every point; and the grader's peak memory stays under a bound far below what one of
these messages would take to hold.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from nbformat.v4 import new_code_cell

from support.cheats.chapter import Chapter
from support.cheats.runner import Graded, Shard, copy_course, run_pipeline
from support.course import ASSIGNMENTS, make_course, nbgrader, submit

pytestmark = pytest.mark.slow

#: The grader's peak: its own baseline (about 100-200 MB) and what the bounds let it hold, far
#: under the 400 MB that one of these messages is, or the 1.2 GB it took to decode one.
GRADER_PEAK_LIMIT = 350 * 2**20
CELL_TIMEOUT = 120
#: The launcher relays every byte; it holds a few chunks at a time, never a message.
LAUNCHER_PEAK_LIMIT = 100 * 2**20

HUGE_DISPLAY = """\
import time
display({"text/plain": "x" * 400_000_000}, raw=True)
time.sleep(600)
"""
MANY_FRAMES = """\
import time
k = get_ipython().kernel
part = b"y" * 1_000_000
k.session.send(k.iopub_socket, "display_data", {"data": {"text/plain": "parts"}, "metadata": {}},
               parent=k.get_parent(), buffers=[part] * 400)
time.sleep(600)
"""
BURST = """\
chunk = "b" * 1_000_000
for i in range(1000):
    display({"text/plain": chunk}, raw=True)
"""
AFTER = "print('the cell after the flood ran')"
STOPPED_NOTE = "the grader stopped the kernel: this cell sent one message larger than 8 MB"
NOT_RUN_NOTE = "the kernel was stopped in an earlier cell for sending one message larger than 8 MB"
TRUNCATED_NOTE = "[output truncated by the grader: this cell sent more than 2 MB of output]"
FLOODS = {"huge-display": HUGE_DISPLAY, "many-frames": MANY_FRAMES, "burst": BURST}


def honest(ch: Chapter):
    return ch.notebook({g: ch.honest(g) for g in ch.answers})


def flooding(ch: Chapter, code: str):
    nb = honest(ch)
    nb.cells += [new_code_cell(code), new_code_cell(AFTER)]
    return nb


def cell_running(nb, code: str):
    return next(c for c in nb.cells if c.cell_type == "code" and c.source == code)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    assignment = ASSIGNMENTS[0]
    src = make_course(tmp_path_factory.mktemp("course"), timeout=CELL_TIMEOUT, assignments=[assignment])
    ch = Chapter(src, assignment)
    work = tmp_path_factory.mktemp("messages")
    root = copy_course(src, work / "course")
    class_ = {name: flooding(ch, code) for name, code in FLOODS.items()}
    class_["zz-honest"] = honest(ch)
    for name, nb in class_.items():
        submit(root, assignment, name, nb)
    plain = copy_course(src, work / "plain")
    for name in ("many-frames", "zz-honest"):
        submit(plain, assignment, name, class_[name])

    def plain_nbgrader():
        return nbgrader(plain, "autograde", assignment, "--force"), nbgrader(
            plain, "generate_feedback", assignment, "--force"
        )

    with ThreadPoolExecutor(1) as pool:
        plain_run = pool.submit(plain_nbgrader)
        result, peak, seconds = run_pipeline(root, assignment)
        auto, feedback = plain_run.result()
    return SimpleNamespace(
        ch=ch,
        graded=Graded([Shard(root, assignment, sorted(class_), result, peak, seconds)]),
        plain=Graded([Shard(plain, assignment, ["many-frames", "zz-honest"])]),
        result=result,
        peak=peak,
        auto=auto,
        plain_feedback=feedback,
    )


def test_the_whole_class_is_graded(run):
    n = len(run.graded.shards[0].students)
    out = run.result.stdout + run.result.stderr
    assert run.result.returncode == 0 and f"Graded {n} of {n}" in run.result.stdout, out[-3000:]


@pytest.mark.parametrize("student", sorted([*FLOODS, "zz-honest"]))
def test_every_honest_answer_keeps_its_points(run, student):
    assert run.graded.scores(student) == run.graded.max_scores()


@pytest.mark.parametrize("student", ["huge-display", "many-frames"])
def test_one_message_past_the_bound_stops_the_kernel_at_once_with_a_note(run, student):
    nb = run.graded.autograded(student)
    flood = cell_running(nb, FLOODS[student])
    errors = [o for o in flood.outputs if o.get("output_type") == "error"]
    assert [e.ename for e in errors] == ["KernelStopped"], flood.outputs  # no KeyboardInterrupt
    assert STOPPED_NOTE in "".join(errors[0].traceback)
    after = cell_running(nb, AFTER)
    assert [o.get("ename") for o in after.outputs] == ["CellNotRun"], after.outputs
    assert NOT_RUN_NOTE in "".join(after.outputs[0].traceback)
    assert "display_data" not in {o.output_type for o in flood.outputs}  # nothing of it was kept
    feedback = run.graded.feedback(student)
    assert STOPPED_NOTE in feedback and NOT_RUN_NOTE in feedback


def test_a_burst_of_medium_messages_is_truncated_with_a_note(run):
    flood = cell_running(run.graded.autograded("burst"), BURST)
    texts = [o.get("text", "") for o in flood.outputs if o.get("output_type") == "stream"]
    assert TRUNCATED_NOTE in "".join(texts), flood.outputs
    kept = sum(len(str(o.get("data", ""))) for o in flood.outputs)
    assert kept < 3 * 2**20
    assert TRUNCATED_NOTE in run.graded.feedback("burst")


def test_the_grader_peak_memory_stayed_under_the_bound(run):
    assert 0 < run.peak.get("grader", 0) < GRADER_PEAK_LIMIT, run.peak


def test_the_relaying_launcher_held_no_message(run):
    # The launcher (python -I -B .../nbgrader_plugins/sandbox.py) is sampled as "other": nothing else is.
    assert 0 < run.peak.get("other", 0) < LAUNCHER_PEAK_LIMIT, run.peak


def test_plain_nbgrader_stops_the_same_kernel_with_the_same_note(run):
    assert run.auto.returncode == 0, (run.auto.stdout + run.auto.stderr)[-3000:]
    assert run.plain.scores("zz-honest") == run.plain.max_scores()
    assert run.plain.scores("many-frames") == run.plain.max_scores()
    flood = cell_running(run.plain.autograded("many-frames"), MANY_FRAMES)
    assert STOPPED_NOTE in "".join("".join(o.get("traceback", [])) for o in flood.outputs), flood.outputs
    assert run.plain_feedback.returncode == 0
    assert STOPPED_NOTE in run.plain.feedback("many-frames")
