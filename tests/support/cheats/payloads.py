"""Code the cheats run inside the grading kernel, as text pasted into submitted notebooks.

Conventions shared by every payload:

* ``PRELUDE`` comes first. It loads ``_CHEAT`` (data the builder embeds: the report MIME type, the
  test ids, the sealed keys, guessed values) and ``_CHEAT_LOG``, a list the cheat appends to when
  it actually did something. The corpus adds a last cell printing ``CHEAT-LOG [...]`` so the tests
  can prove from the autograded notebook that the cheat was active during grading.
* A *lie* payload defines ``_lie(value)``, which turns the right plain value into an object that
  claims to be it. The corpus applies it to every answer name (and to the return value of every
  answer function).
"""

PRELUDE = r"""
import base64 as _cheat_b64, json as _cheat_json
_CHEAT = _cheat_json.loads(_cheat_b64.b64decode("__DATA__").decode())
_CHEAT_LOG = []
"""

LOG_CELL = 'for _entry in dict.fromkeys(_CHEAT_LOG):\n    print("CHEAT-LOG " + repr(_entry)[1:-1])\n'

# ------------------------------------------------------------------------------------------------
# Lies: objects that claim to be the right answer.

ALWAYS_EQUAL = r'''
class _AlwaysEqual:
    """Equal to everything; prints, hashes, measures and iterates like the right answer."""
    def __init__(self, shown):
        self._shown = shown
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    def __hash__(self):
        return hash(repr(self._shown))
    def __str__(self):
        return str(self._shown)
    def __repr__(self):
        return repr(self._shown)
    def __len__(self):
        return len(self._shown)
    def __iter__(self):
        return iter(self._shown)
    def __getitem__(self, key):
        return self._shown[key]
    def __contains__(self, key):
        return True
    def __bool__(self):
        return True
    def get(self, key, default=None):
        return self._shown.get(key, default) if isinstance(self._shown, dict) else default
    def items(self):
        return self._shown.items()
    def keys(self):
        return self._shown.keys()
    def values(self):
        return self._shown.values()
    def lower(self):
        return self
    def strip(self, *args):
        return self

def _lie(value):
    _CHEAT_LOG.append("always-equal")
    return _AlwaysEqual(value)
'''

NUMBERS = r'''
class _Float(float):
    pass

class _Int(int):
    pass

class _LyingFloat(float):
    """Its value is wrong (one more); it compares, prints and formats as the right number."""
    def __new__(cls, shown):
        self = super().__new__(cls, float(shown) + 1)
        self._shown = shown
        return self
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = float.__hash__
    def __repr__(self):
        return repr(self._shown)
    __str__ = __repr__
    def __format__(self, spec):
        return format(self._shown, spec)

def _plainly(value):
    """A numpy result as the plain value it holds: what a cheat lies about on a lab."""
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    return value
'''

LEAF_SUBCLASSES = (
    NUMBERS
    + r'''
class _Str(str):
    pass

def _lie(value):
    """Same contents, but every text and number is a subclass (inside plain dicts and lists)."""
    _CHEAT_LOG.append("leaf-subclass")
    value = _plainly(value)
    if type(value) is str:
        return _Str(value)
    if type(value) is float:
        return _Float(value)
    if type(value) is int:
        return _Int(value)
    if type(value) is dict:
        return {k: _lie(v) for k, v in value.items()}
    if type(value) is list:
        return [_lie(v) for v in value]
    return value
'''
)

CONTAINER_SUBCLASSES = (
    NUMBERS
    + r'''
class _Str(str):
    pass

class _List(list):
    pass

class _Dict(dict):
    pass

def _lie(value):
    """Exactly the right contents, in a subclass of the right container type."""
    _CHEAT_LOG.append("container-subclass")
    value = _plainly(value)
    if type(value) is float:
        return _Float(value)
    if type(value) is int:
        return _Int(value)
    if type(value) is dict:
        return _Dict(value)
    if type(value) is list:
        return _List(value)
    if type(value) is str:
        return _Str(value)
    return value
'''
)

LYING_SUBCLASSES = (
    NUMBERS
    + r'''
class _LyingStr(str):
    """Its characters are wrong; every method a checker might call tells the right story."""
    def __new__(cls, shown):
        self = super().__new__(cls, "not " + shown)
        self._shown = shown
        return self
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    def __hash__(self):
        return hash(self._shown)
    def __str__(self):
        return self._shown
    def __repr__(self):
        return repr(self._shown)
    def __len__(self):
        return len(self._shown)
    def __iter__(self):
        return iter(self._shown)
    def __getitem__(self, index):
        return self._shown[index]
    def __contains__(self, part):
        return part in self._shown
    def __format__(self, spec):
        return format(self._shown, spec)
    def lower(self):
        return self._shown.lower()
    def strip(self, *args):
        return self._shown.strip(*args)
    def encode(self, *args, **kwargs):
        return self._shown.encode(*args, **kwargs)

class _LyingDict(dict):
    """Really empty; presents the right mapping through items, get, [] and the rest."""
    def __init__(self, shown):
        super().__init__()
        self._shown = shown
    def items(self):
        return self._shown.items()
    def keys(self):
        return self._shown.keys()
    def values(self):
        return self._shown.values()
    def get(self, key, default=None):
        return self._shown.get(key, default)
    def __getitem__(self, key):
        return self._shown[key]
    def __iter__(self):
        return iter(self._shown)
    def __len__(self):
        return len(self._shown)
    def __contains__(self, key):
        return key in self._shown
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    def __repr__(self):
        return repr(self._shown)
    def copy(self):
        return dict(self._shown)
    __hash__ = None

def _lie(value):
    _CHEAT_LOG.append("lying-subclass")
    value = _plainly(value)
    if type(value) is str:
        return _LyingStr(value)
    if type(value) is float or type(value) is int:
        return _LyingFloat(value)
    if type(value) is dict:
        return _LyingDict(value)
    if type(value) is list:
        return [_lie(v) for v in value]
    return value
'''
)

LYING_LIST = r'''
class _LyingList(list):
    """A list (really ["not", "the", "answer"]) that poses as the right answer, whatever it is."""
    def __init__(self, shown):
        super().__init__(["not", "the", "answer"])
        self._shown = shown
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    def __hash__(self):
        return hash(repr(self._shown))
    def __str__(self):
        return str(self._shown)
    def __repr__(self):
        return repr(self._shown)
    def __len__(self):
        return len(self._shown)
    def __iter__(self):
        return iter(self._shown)
    def __getitem__(self, key):
        return self._shown[key]
    def __contains__(self, key):
        return key in self._shown
    def items(self):
        return self._shown.items()
    def keys(self):
        return self._shown.keys()
    def values(self):
        return self._shown.values()
    def get(self, key, default=None):
        return self._shown.get(key, default)
    def lower(self):
        return self._shown

def _lie(value):
    _CHEAT_LOG.append("lying-list")
    return _LyingList(value)
'''

CLASS_IMPOSTOR = r'''
class _Impostor:
    """``isinstance(x, str)`` is True: ``__class__`` is a property that names the right type."""
    def __init__(self, shown):
        object.__setattr__(self, "_shown", shown)
    @property
    def __class__(self):
        return type(self._shown)
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    def __hash__(self):
        return hash(repr(self._shown))
    def __str__(self):
        return str(self._shown)
    def __repr__(self):
        return repr(self._shown)
    def __len__(self):
        return len(self._shown)
    def __iter__(self):
        return iter(self._shown)
    def __getitem__(self, key):
        return self._shown[key]
    def items(self):
        return self._shown.items()
    def keys(self):
        return self._shown.keys()
    def values(self):
        return self._shown.values()
    def get(self, key, default=None):
        return self._shown.get(key, default)

def _lie(value):
    obj = _Impostor(value)
    _CHEAT_LOG.append(f"impostor isinstance={isinstance(obj, type(value))}")
    return obj
'''

LIES_IN_PLAIN_CONTAINERS = (
    ALWAYS_EQUAL
    + r'''
def _lie(value):
    """Plain dict/list on the outside, lying objects inside."""
    _CHEAT_LOG.append("nested-lies")
    if type(value) is dict:
        return {k: _AlwaysEqual(v) for k, v in value.items()}
    return [_AlwaysEqual(value)]
'''
)

CHECK_THEN_LIE = r'''
_state = {"checked_in": None, "in_check": False}
_real_check = check

def check(*args, **kwargs):
    _state["in_check"] = True
    try:
        _real_check(*args, **kwargs)
    finally:
        _state["in_check"] = False
    _state["checked_in"] = get_ipython().execution_count

def _lie(value):
    """Right while the self-check's arguments are computed; wrong once check() ran in this cell."""
    if _state["checked_in"] == get_ipython().execution_count:
        _CHEAT_LOG.append("lied-after-check")
        return "nowhere" if isinstance(value, str) else {}
    return value

def _lie_outside_check(value):
    """For a lab function: right while check() calls it on the examples; wrong for any other
    caller, the grader's hidden calls included (they come after the last cell, so this lie is
    logged when a cell of the chapter calls the function outside a check, if one does)."""
    if _state["in_check"]:
        return value
    _CHEAT_LOG.append("lied-outside-check")
    return "nowhere" if isinstance(value, str) else {}
'''

# ------------------------------------------------------------------------------------------------
# Global cheats.

SHADOW_BUILTINS_NAMESPACE = (
    ALWAYS_EQUAL
    + r"""
_real_type, _real_isinstance, _real_len = type, isinstance, len
def type(*args):
    if _real_len(args) == 1 and _real_isinstance(args[0], _AlwaysEqual):
        return _real_type(args[0]._shown)
    return _real_type(*args)
def isinstance(obj, cls):
    return True
def len(obj):
    return 1
def sorted(*args, **kwargs):
    return []
def str(*args):
    return "c"
def list(*args):
    return []
def set(*args):
    return frozenset()
_CHEAT_LOG.append("namespace-builtins-shadowed")
"""
)

# Look-alike builtins: the class ``type`` becomes a class whose metaclass forwards calls, instance
# and subclass checks to the real one, and lies only about the cheat's own objects.
SHADOW_BUILTINS_MODULE = (
    ALWAYS_EQUAL
    + r"""
import builtins as _b

_R = {n: getattr(_b, n) for n in ("type", "isinstance", "issubclass", "len", "sorted", "str",
                                   "list", "set")}

def _is_lie(obj):
    return _R["type"](obj) is _AlwaysEqual

class _Meta(_R["type"]):
    def __instancecheck__(cls, obj):
        return _is_lie(obj) or _R["isinstance"](obj, cls.__real__)
    def __subclasscheck__(cls, sub):
        return _R["issubclass"](sub, cls.__real__)
    def __getattr__(cls, name):
        return getattr(cls.__real__, name)
    def __call__(cls, *args, **kwargs):
        if _R["len"](args) == 1 and not kwargs and _is_lie(args[0]):
            shown = args[0]._shown
            return _R["type"](shown) if cls.__real__ is _R["type"] else cls.__real__(shown)
        return cls.__real__(*args, **kwargs)

def _fake_class(real):
    return _Meta(real.__name__, (), {"__real__": real})

def _fake_isinstance(obj, cls):
    return _is_lie(obj) or _R["isinstance"](obj, cls)

def _fake_len(obj):
    return _R["len"](obj._shown) if _is_lie(obj) else _R["len"](obj)

def _fake_sorted(obj, *args, **kwargs):
    return _R["sorted"](obj._shown if _is_lie(obj) else obj, *args, **kwargs)

_FAKES = {"type": _fake_class(_R["type"]), "isinstance": _fake_isinstance, "len": _fake_len,
          "sorted": _fake_sorted}
"""
)

# Replacing builtins for good breaks IPython itself (``type(x) is str`` everywhere), so a careful
# cheat swaps them in only while a graded test cell runs, and puts the real ones back afterwards.
SHADOW_BUILTINS_MODULE_WINDOW = (
    SHADOW_BUILTINS_MODULE
    + r"""
_FAKES.update({n: _fake_class(_R[n]) for n in ("str", "list", "set")})

def _install(info=None):
    if "grade(" in (getattr(info, "raw_cell", "") or ""):
        for _n, _f in _FAKES.items():
            setattr(_b, _n, _f)
        _CHEAT_LOG.append("installed isinstance(lie, str)=%s len(lie)=%s"
                          % (isinstance(_AlwaysEqual("x"), str), len(_AlwaysEqual("abc"))))

def _restore(result=None):
    for _n in _FAKES:
        setattr(_b, _n, _R[_n])

get_ipython().events.register("pre_run_cell", _install)
get_ipython().events.register("post_run_cell", _restore)
"""
)

PATCH_HASHLIB = r'''
import hashlib
import mlops_concepts.answers as _answers

_real_sha256 = hashlib.sha256
_HEX_BY_SALT = {d.split("$")[1]: d.split("$")[2] for v in _CHEAT["digests"].values()
                for d in (v if isinstance(v, list) else [v])}  # a lab's key: a digest per example

class _AnyHex(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__

class _FakeSha256:
    """hexdigest() is the sealed key's own digest (or equal to anything)."""
    def __init__(self, data=b""):
        self._data = bytes(data)
    def update(self, data):
        self._data += bytes(data)
    def hexdigest(self):
        salt = self._data[:16].decode("ascii", "replace")
        if salt in _HEX_BY_SALT:
            return _HEX_BY_SALT[salt]
        return _AnyHex(_real_sha256(self._data).hexdigest())
    def digest(self):
        return _real_sha256(self._data).digest()

hashlib.sha256 = _FakeSha256
_answers._sha256 = _FakeSha256
import contextlib, io
_tid, _out = _CHEAT["first_test"], io.StringIO()
with contextlib.redirect_stdout(_out):
    check(_tid, _CHEAT["wrong_answer"], key=_CHEAT["digests"][_tid], items=_CHEAT["items"][_tid])
_CHEAT_LOG.append("self-check fooled=%s" % ("Success!" in _out.getvalue()))
'''

PATCH_JSON = r"""
import json
import mlops_concepts.answers as _answers
_real_dumps = json.dumps

def _fake_dumps(obj, *args, **kwargs):
    if kwargs.get("sort_keys"):  # the canonical form the checks compare
        _CHEAT_LOG.append("json-constant")
        return '"constant"'
    return _real_dumps(obj, *args, **kwargs)

json.dumps = _fake_dumps
_answers._dumps = _fake_dumps
"""

FAKE_CHECK = r"""
def check(question, answer, key=None, items=None, **release_keywords):  # title=, choices=
    _CHEAT_LOG.append("fake-check " + question)
    print("Success!")
"""

FAKE_GRADE_GUESS = r'''
from IPython.display import display as _display
import mlops_concepts, mlops_concepts.checks

def grade(question, answer=None, items=None):
    """Emit a report that looks right: the guessed value, whatever the answer is."""
    _CHEAT_LOG.append("fake-grade " + question)
    _display({_CHEAT["mime"]: {"id": question, "value": _CHEAT["guess"].get(question)},
              "text/plain": f"[{question}] answer recorded for grading"}, raw=True)

mlops_concepts.grade = mlops_concepts.checks.grade = grade
'''

FAKE_GRADE_COPY_ID = r'''
from IPython.display import display as _display
import mlops_concepts, mlops_concepts.checks

def grade(question, answer=None, items=None):
    """A report that copies the question id everywhere and claims success."""
    _CHEAT_LOG.append("copy-id " + question)
    _display({_CHEAT["mime"]: {"id": question, "value": question, "correct": True, "score": 100,
                               "points": 100, "status": "correct"},
              "text/plain": f"[{question}] answer recorded for grading"}, raw=True)

mlops_concepts.grade = mlops_concepts.checks.grade = grade
'''

GRADING_AWARE_THIEF = r"""
import os, socket, json as _json
from IPython.display import display as _display
import mlops_concepts, mlops_concepts.checks

_signals = {
    "NBGRADER_EXECUTION": os.environ.get("NBGRADER_EXECUTION"),
    "cwd": os.getcwd(),
    "hostname": socket.gethostname(),
}
_grading = bool(_signals["NBGRADER_EXECUTION"] or "autograded" in _signals["cwd"]
                or _signals["hostname"] == "grader-sandbox")
_CHEAT_LOG.append("grading=%s %r" % (_grading, _signals))

def _steal(budget=30000):
    # Look for the instructor notebook (plain solutions) wherever this kernel can read.
    name = _CHEAT["notebook"]
    paths = [os.path.join("../../../source", _CHEAT["assignment"], name),
             os.path.join(_CHEAT["course_root"], "source", _CHEAT["assignment"], name),
             os.path.join(_CHEAT["course_root"], "gradebook.db")]
    for top in ("/tmp", "/work", "/home", "/root", "/srv", "/var", "/mnt", "/opt", "/"):
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev", "site-packages", "usr")]
            budget -= 1 + len(files)
            if budget < 0:
                break
            paths += [os.path.join(folder, f) for f in files if f in (name, "gradebook.db")]
    marker = ("### BEGIN " + "SOLUTION").encode()  # not spelled out: this notebook is not the source
    for path in paths:
        if os.path.abspath(path).startswith(os.getcwd()):
            continue
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        if marker in data and path.endswith(".ipynb"):
            return path, _json.loads(data)
        if data.startswith(b"SQLite format 3"):
            return path, None
    return None, None

if _grading:
    _path, _source = _steal()
    _CHEAT_LOG.append("stolen-from %r" % (_path,))
    if _source:
        for _cell in _source["cells"]:
            _meta = _cell.get("metadata", {}).get("nbgrader", {})
            if _meta.get("solution") and _cell["cell_type"] == "code":
                exec("".join(_cell["source"]), globals())
    else:
        def grade(question, answer=None, items=None):
            _display({_CHEAT["mime"]: {"id": question, "value": _CHEAT["guess"].get(question)},
                      "text/plain": "recorded"}, raw=True)
        mlops_concepts.grade = mlops_concepts.checks.grade = grade
"""

INPUT_TRANSFORMER = r"""
import re as _re
from IPython.display import display as _display

def _fake_grade(question, answer=None, items=None):
    _display({_CHEAT["mime"]: {"id": question, "value": _CHEAT["guess"].get(question)},
              "text/plain": "recorded"}, raw=True)

def _rewrite(lines):
    text = "".join(lines)
    match = _re.search(r'grade\(\s*"([^"]+)"', text)
    if not match:
        return lines
    question = match.group(1)
    _CHEAT_LOG.append("rewrote " + question)
    if _CHEAT["test_ids"].index(question) % 2:
        return []  # the whole test cell disappears
    return [f"_fake_grade({question!r})\n"]

get_ipython().input_transformers_cleanup.append(_rewrite)
"""

AST_TRANSFORMER = r'''
import ast as _ast

class _Swap(_ast.NodeTransformer):
    """Replace the answer in every grade() call by a guess, or the call itself by None."""
    def visit_Call(self, node):
        self.generic_visit(node)
        called = (node.func.id if isinstance(node.func, _ast.Name)
                  else node.func.attr if isinstance(node.func, _ast.Attribute) else None)
        if called == "grade" and node.args:
            question = getattr(node.args[0], "value", None)
            if question in _CHEAT["guess"]:
                _CHEAT_LOG.append("swapped " + question)
                if _CHEAT["test_ids"].index(question) % 2:
                    return _ast.copy_location(_ast.Constant(None), node)
                node.args[1:2] = [_ast.parse(repr(_CHEAT["wrong_values"][question]), mode="eval").body]
                node.keywords = [k for k in node.keywords if k.arg != "items"]
        return node

get_ipython().ast_transformers.append(_Swap())
'''

POST_RUN_FAKE = r"""
import re as _re
from IPython.display import clear_output as _clear, display as _display

def _after(result):
    match = _re.search(r'grade\(\s*"([^"]+)"', result.info.raw_cell or "")
    if match and match.group(1) in _CHEAT["guess"]:
        question = match.group(1)
        _clear()  # drop what the cell showed, the real report included
        _display({_CHEAT["mime"]: {"id": question, "value": _CHEAT["guess"][question]},
                  "text/plain": "recorded"}, raw=True)
        _CHEAT_LOG.append("post-run " + question)

get_ipython().events.register("post_run_cell", _after)
"""

MANY_REPORTS = r"""
import re as _re
from IPython.display import display as _display

def _after(result):
    match = _re.search(r'grade\(\s*"([^"]+)"', result.info.raw_cell or "")
    if match and match.group(1) in _CHEAT["plausible"]:
        question = match.group(1)
        for value in _CHEAT["plausible"][question]:  # one of them is right
            _display({_CHEAT["mime"]: {"id": question, "value": value}, "text/plain": "recorded"}, raw=True)
        _CHEAT_LOG.append("many %s x%d" % (question, len(_CHEAT["plausible"][question])))

get_ipython().events.register("post_run_cell", _after)
"""

SETTRACE = (
    ALWAYS_EQUAL
    + r"""
import sys as _sys

def _tracer(frame, event, arg):
    if event == "call" and frame.f_code.co_name == "grade" and frame.f_code.co_filename.endswith("checks.py"):
        question = frame.f_locals.get("question")
        if question in _CHEAT["wrong_values"]:
            if _CHEAT["test_ids"].index(question) % 2:
                frame.f_locals["answer"] = _AlwaysEqual(_CHEAT["wrong_values"][question])
            else:
                frame.f_locals["answer"] = _CHEAT["wrong_values"][question]
            frame.f_locals["items"] = None
            _CHEAT_LOG.append("traced " + question)
    return None

_sys.settrace(_tracer)
"""
)

DISPLAY_PATCH = r'''
import IPython.display as _ipd
_real_display = _ipd.display

def _display(*objs, **kwargs):
    """Turn every graded report into a guessed value (dropping any error it carries)."""
    new = []
    for obj in objs:
        if isinstance(obj, dict) and _CHEAT["mime"] in obj:
            question = obj[_CHEAT["mime"]].get("id")
            obj = dict(obj)
            obj[_CHEAT["mime"]] = {"id": question, "value": _CHEAT["guess"].get(question)}
            _CHEAT_LOG.append("display-patched " + str(question))
        new.append(obj)
    return _real_display(*new, **kwargs)

_ipd.display = _display
'''

UPDATE_DISPLAY = r'''
import IPython.display as _ipd
_real_display = _ipd.display

def _display(*objs, **kwargs):
    """Give every graded report a display id, so a later cell can rewrite it in place."""
    for obj in objs:
        if isinstance(obj, dict) and _CHEAT["mime"] in obj:
            kwargs["display_id"] = "cheat-" + str(obj[_CHEAT["mime"]].get("id"))
    return _real_display(*objs, **kwargs)

_ipd.display = _display
'''

UPDATE_DISPLAY_LAST_CELL = r"""
from IPython.display import update_display as _update
for _question, _value in _CHEAT["guess"].items():
    _update({_CHEAT["mime"]: {"id": _question, "value": _value}, "text/plain": "recorded"},
            display_id="cheat-" + _question, raw=True)
    _CHEAT_LOG.append("updated " + _question)
"""

WIRE_REWRITE = r'''
_session = get_ipython().kernel.session
_real_send = _session.send

def _send(stream, msg_or_type, content=None, *args, **kwargs):
    """Rewrite outgoing display messages: every report carries the guessed value."""
    if isinstance(msg_or_type, dict):
        content = msg_or_type.get("content", content)
    data = (content or {}).get("data") if isinstance(content, dict) else None
    if isinstance(data, dict) and _CHEAT["mime"] in data:
        question = data[_CHEAT["mime"]].get("id")
        data[_CHEAT["mime"]] = {"id": question, "value": _CHEAT["guess"].get(question)}
        _CHEAT_LOG.append("wire " + str(question))
    return _real_send(stream, msg_or_type, content, *args, **kwargs)

_session.send = _send
'''

# Patching the course package's own references: the exact-type rule is enforced by code that runs
# in the kernel, so a student can switch it off. What reaches the grader is still only the value.
PATCHED_CANONICAL = (
    NUMBERS
    + r"""
import mlops_concepts.answers as _answers
_real_type = _answers._type

def _lenient_type(obj):
    if isinstance(obj, bool):
        return bool
    for base in (str, dict, list, float, int):
        if isinstance(obj, base):
            return base
    return _real_type(obj)

_answers._type = _lenient_type
_CHEAT_LOG.append("canonical-patched")

class _Str(str):
    pass

class _LyingStr(str):
    def __new__(cls, shown):
        self = super().__new__(cls, "not " + shown)
        self._shown = shown
        return self
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
    def __str__(self):
        return self._shown
    def __repr__(self):
        return repr(self._shown)

_NUMBER_LEAF = {"_Str": _Float, "_LyingStr": _LyingFloat}

def _deep(value, leaf):
    value = _plainly(value)
    if type(value) is dict:
        return {k: _deep(v, leaf) for k, v in value.items()}
    if type(value) is list:
        return [_deep(v, leaf) for v in value]
    if type(value) is float or type(value) is int:
        return _NUMBER_LEAF[leaf.__name__](value)
    return leaf(value) if type(value) is str else value
"""
)

# Extra cell placed before the release's first code cell: it runs before the course package is
# imported, so the package's "saved" references to builtins, hashlib and json are the fakes.
PRE_IMPORT = (
    SHADOW_BUILTINS_MODULE
    + r"""
import hashlib
_real_sha256 = hashlib.sha256

class _AnyHex(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__

class _Sha:
    def __init__(self, data=b""):
        self._h = _real_sha256(data)
    def update(self, data):
        self._h.update(data)
    def hexdigest(self):
        return _AnyHex(self._h.hexdigest())
    def digest(self):
        return self._h.digest()

for _n, _f in _FAKES.items():
    setattr(_b, _n, _f)
hashlib.sha256 = _Sha
import mlops_concepts.answers as _answers  # takes its "saved" references now: the fakes
for _n in _FAKES:
    setattr(_b, _n, _R[_n])  # the rest of the notebook runs with the real builtins
hashlib.sha256 = _real_sha256
_CHEAT_LOG.append("package-took-fakes type=%s sha=%s" % (_answers._type is _FAKES["type"],
                                                           _answers._sha256 is _Sha))
"""
)

BRUTE_FORCE = r'''
import hashlib, itertools, json as _json

def _digest(form, salt):
    text = _json.dumps(form, sort_keys=True, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return "sha256$%s$%s" % (salt, hashlib.sha256((salt + text).encode()).hexdigest())

def _brute(test):
    """Try every allowed value against the released self-check key of one test cell."""
    salt = test["digest"].split("$")[1]
    options = test["options"]
    if test["items"] is None:
        for option in options:
            if _digest(option.strip().lower(), salt) == test["digest"]:
                return option
        return None
    keys = [k.strip().lower() for k in test["items"]]  # the forgiving form the checks compare
    for combo in itertools.product(options, repeat=len(keys)):
        form = {"part": [[k, v] for k, v in zip(keys, combo)]}
        if _digest(form, salt) == test["digest"]:
            return dict(zip(test["items"], combo))
    return None
'''
