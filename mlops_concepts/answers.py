"""How answers are encoded, compared and kept secret.

Everything that decides whether an answer is right goes through :func:`canonical`. It turns an answer
into plain JSON using only exact built-in types, so an object that merely *claims* to be right
(a ``str`` subclass, an ``__eq__`` that always returns True, a ``__len__`` that lies) can never be
mistaken for the real answer. The checks in the student's kernel, the checkpoint widgets and the
grader outside the kernel all compare canonical forms, never the student's objects.

Answer keys that must ship to students (self-checks, checkpoint answers) are stored as salted
SHA-256 digests of the canonical form, and explanatory texts that would give an answer away are
sealed with a key stream derived from the same salt. Neither is encryption against a determined
student with a small answer space; both keep answers out of plain sight, like nbgrader's HASHED
AUTOTEST.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import json
import math

# Keep references to the real built-ins at import time. A student can rebind ``type`` or ``len`` in
# the notebook, or even in ``builtins``; these module-level names are taken before that can happen.
_type = builtins.type
_len = builtins.len
_isinstance = builtins.isinstance
_str = builtins.str
_int = builtins.int
_float = builtins.float
_bool = builtins.bool
_list = builtins.list
_tuple = builtins.tuple
_dict = builtins.dict
_range = builtins.range
_sha256 = hashlib.sha256
_shake = hashlib.shake_256
_dumps = json.dumps
_loads = json.loads
_b64encode = base64.urlsafe_b64encode
_b64decode = base64.urlsafe_b64decode
_isfinite = math.isfinite

#: Answers larger than this are refused rather than walked: a grader must never hang on an answer.
MAX_NODES = 10_000
MAX_DEPTH = 20
MAX_TEXT = 100_000

HASH_PREFIX = "sha256"

_TYPE_NAMES = {
    _type(None): "None",
    _bool: "bool",
    _int: "int",
    _float: "float",
    _str: "str",
    _list: "list",
    _tuple: "tuple",
    _dict: "dict",
}


class AnswerTypeError(TypeError):
    """The answer is not made of plain built-in values, so it cannot be checked."""


def _type_name(value) -> str:
    cls = _type(value)
    return _TYPE_NAMES.get(cls) or getattr(cls, "__qualname__", "an object of an unknown type")


def describe_type(value) -> str:
    """Name the exact type of ``value`` for a feedback message, without calling its methods."""
    return _type_name(value)


def canonical(value):
    """Return ``value`` as plain JSON data, refusing anything that is not an exact built-in type.

    Why exact types: ``type(x) is str`` cannot be faked by a subclass, and the values of exact
    built-ins are read through the built-in methods (``dict.items(x)``, ``list.__getitem__``), which a
    student cannot override. Tuples become lists, dict keys must be strings, floats must be finite.
    """
    budget = [MAX_NODES]

    def walk(v, depth):
        budget[0] -= 1
        if budget[0] < 0:
            raise AnswerTypeError(f"the answer is too large to check (more than {MAX_NODES} values)")
        if depth > MAX_DEPTH:
            raise AnswerTypeError("the answer is nested too deeply to check")
        cls = _type(v)
        if v is None or cls is _bool or cls is _int:
            return v
        if cls is _float:
            if not _isfinite(v):
                raise AnswerTypeError("the answer contains a number that is not finite")
            return v
        if cls is _str:
            if _str.__len__(v) > MAX_TEXT:
                raise AnswerTypeError("the answer contains a text that is too long to check")
            return _str.__str__(v)
        if cls is _list or cls is _tuple:
            n = cls.__len__(v)
            return [walk(cls.__getitem__(v, i), depth + 1) for i in _range(n)]
        if cls is _dict:
            out = {}
            for key, item in _dict.items(v):
                if _type(key) is not _str:
                    raise AnswerTypeError(f"every key of the dict must be a plain str, not {_type_name(key)}")
                out[_str.__str__(key)] = walk(item, depth + 1)
            return out
        raise AnswerTypeError(
            f"the answer must be made of plain str, int, float, bool, list and dict values, "
            f"not {_type_name(v)}"
        )

    return walk(value, 0)


MISSING = {"missing": True}


def restrict(data, items):
    """Keep only the parts of canonical ``data`` named by ``items``, so one test can grade a part.

    ``items`` is a list of dict keys (a dict answer), or of list positions (a list answer). A part
    the answer lacks is kept as an explicit "missing" marker, so a partial answer is compared fairly.
    """
    if items is None:
        return data
    items = canonical(items)
    if _type(items) is not _list:
        raise AnswerTypeError("items must be a list")
    if _type(data) is _dict:
        return {"part": [[k, _dict.get(data, k, MISSING)] for k in items if _type(k) is _str]}
    if _type(data) is _list:
        n = _len(data)
        return {"part": [[i, data[i] if _type(i) is _int and -n <= i < n else MISSING] for i in items]}
    raise AnswerTypeError(f"the answer must be a dict or a list, not {_type_name(data)}")


def to_json(data) -> str:
    """One canonical JSON text for canonical data: the same answer always gives the same bytes."""
    return _dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def salt_for(*parts: str) -> str:
    """A salt pinned to its question, so that generating the release twice gives the same files."""
    return _sha256(to_json(["mlops-concepts-salt", *parts]).encode()).hexdigest()[:16]


def digest(value, salt: str) -> str:
    """Salted digest of an answer's canonical form: ``sha256$<salt>$<hex>``."""
    text = to_json(canonical(value))
    return f"{HASH_PREFIX}${salt}${_sha256((salt + text).encode()).hexdigest()}"


def matches(value, hashed: str) -> bool:
    """True when ``value`` canonically equals the answer behind ``hashed``. Never raises."""
    try:
        prefix, salt, _ = _str.split(hashed, "$", 2)
        return prefix == HASH_PREFIX and digest(value, salt) == hashed
    except Exception:
        return False


def is_digest(text) -> bool:
    return _type(text) is _str and _str.startswith(text, HASH_PREFIX + "$") and text.count("$") == 2


def _keystream(n: int, salt: str, parts) -> bytes:
    return _shake(to_json([salt, *parts]).encode()).digest(n)


def seal(text: str, salt: str, *key: object) -> str:
    """Hide ``text`` so it can be read back only by code that knows ``key`` (e.g. the right option)."""
    raw = text.encode("utf-8")
    stream = _keystream(_len(raw), salt, [canonical(k) for k in key])
    return _b64encode(bytes(a ^ b for a, b in zip(raw, stream, strict=True))).decode("ascii")


def unseal(blob: str, salt: str, *key: object) -> str:
    """Reverse :func:`seal`. With the wrong key this gives garbage or raises ``ValueError``."""
    raw = _b64decode(blob.encode("ascii"))
    stream = _keystream(_len(raw), salt, [canonical(k) for k in key])
    return bytes(a ^ b for a, b in zip(raw, stream, strict=True)).decode("utf-8")
