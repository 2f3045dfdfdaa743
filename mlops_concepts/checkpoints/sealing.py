"""Checkpoints without widgets: their two forms, sealing, and loading what was sealed.

Pure Python (no ipywidgets): the release step seals checkpoints with it, the linter checks them,
and the widgets in :mod:`mlops_concepts.checkpoints.widgets` are built on top. One registry,
:data:`KINDS`, names the kinds everywhere (the release, the linter, the cell readers).

Two equivalent forms
--------------------
The instructor writes the *source form*, with plain answers, feedback and explanation::

    MultipleChoice(id="cp-x", question="...", options={"A": "why A", "B": "why B"},
                   answer="A", hint="...", explanation="...")

Students get the *sealed form*, written by the release preprocessor from
``MultipleChoice.sealed_arguments(**source_kwargs)``::

    MultipleChoice(id="cp-x", question="...", options=["A", "B"], hint="...", sealed="...")

``sealed`` is base64 of one JSON object holding only salted digests (:func:`answers.digest`) of the
answer and texts sealed with :func:`answers.seal`, so no answer, feedback or explanation is in
plain sight. A source-form checkpoint is built by sealing its arguments and then loading the sealed
form, so both forms run exactly the same code and behave identically.

What is sealed with which key (salt = ``salt_for(id)``):

* MultipleChoice: digest of the answer; each option's feedback under ``("feedback", option)``;
  the explanation under ``("explanation", answer)``.
* Classify: per item, digest of ``[item, bucket]``; each item's why under ``("why", item)``; the
  explanation under ``("explanation", {item: bucket, ...})``.
* Order: digest of the whole correct list of steps and, per position, of ``[position, step]``;
  each step's why under ``("why", step)``; the explanation under ``("explanation", [steps...])``.

"Show answer" recovers the answer by trying the public options, buckets or steps against the
digests (the spaces are tiny), so the student's kernel never needs the plain answer key. This keeps
answers out of sight; it is not meant to stop a student who reads this module.
"""

from __future__ import annotations

import base64
import binascii
import inspect
import json

from ..answers import digest, matches, salt_for, seal, to_json, unseal

#: Reserved text, once the "nothing chosen" entry of the dropdowns; no option, bucket or step may
#: use it, so that checkpoints written for earlier versions mean the same thing everywhere.
PLACEHOLDER = "— choose —"

#: Version of the sealed JSON layout, so a future change can still read old releases.
SEALED_VERSION = 1

#: Longest option, bucket or step. Labels wrap at narrow widths, but a choice longer than a line of
#: a notebook at about 800 px is hard to read next to the others.
MAX_CHOICE_CHARS = 100

#: Longest Classify item: the item names its row of buckets and is read before each choice.
MAX_ITEM_CHARS = 80

_INTERACTIVE_NOTE = "(Run this cell in JupyterLab to answer interactively.)"


def _text(value, what: str) -> str:
    """A required, non-blank plain string (authors' typos should fail loudly, not render oddly)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return value


def _label(value, what: str, limit: int) -> str:
    """An option, bucket, item or step: a short one-line text that is not the placeholder."""
    value = _text(value, what)
    if value != value.strip() or "\n" in value:
        raise ValueError(f"{what} {value!r} must be one line with no leading or trailing spaces")
    if value == PLACEHOLDER:
        raise ValueError(f"{what} {value!r} is a reserved placeholder text; use another text")
    if len(value) > limit:
        raise ValueError(
            f"{what} {value!r} is {len(value)} characters long; keep it to {limit} so it is not "
            "cut off at notebook width (move the detail into the feedback instead)"
        )
    return value


def _labels(values, what: str, limit: int, minimum: int) -> list[str]:
    """The public list of a sealed form: unique labels, in display order."""
    if not isinstance(values, (list, tuple)):
        raise ValueError(f"{what}s must be a list of strings, got {type(values).__name__}")
    out = [_label(v, what, limit) for v in values]
    if len(out) < minimum:
        raise ValueError(f"a checkpoint needs at least {minimum} {what}s, got {len(out)}")
    seen = set()
    for v in out:
        if v in seen:
            raise ValueError(f"{what} {v!r} appears twice")
        seen.add(v)
    return out


def _id(value) -> str:
    value = _text(value, "id")
    if value != value.strip():
        raise ValueError(f"id {value!r} must have no leading or trailing spaces")
    return value


def _pack(payload: dict) -> str:
    """One opaque string for the ``sealed`` keyword: base64 of canonical JSON."""
    return base64.urlsafe_b64encode(to_json(payload).encode("utf-8")).decode("ascii")


def _unpack(blob, kind: str, fields: dict) -> dict:
    """Read a ``sealed`` string back, checking that it was made for this kind of checkpoint.

    ``fields`` maps each expected key to its type (``str`` or ``list`` of str).
    """
    try:
        data = json.loads(base64.urlsafe_b64decode(blob.encode("ascii")).decode("utf-8"))
    except (AttributeError, ValueError, UnicodeError, binascii.Error):
        data = None
    if not isinstance(data, dict):
        raise ValueError("sealed is not a valid sealed checkpoint string (was it edited or cut?)")
    if data.get("kind") != kind:
        raise ValueError(f"sealed was made for a {data.get('kind')!r} checkpoint, not {kind!r}")
    if data.get("version") != SEALED_VERSION:
        raise ValueError(f"sealed has version {data.get('version')!r}; expected {SEALED_VERSION}")
    for key, typ in fields.items():
        value = data.get(key)
        ok = isinstance(value, typ)
        if ok and typ is list:
            ok = all(isinstance(v, str) for v in value)
        if not ok:
            raise ValueError(f"sealed is missing a valid {key!r} entry (was it edited?)")
    return data


def _unseal_all(blobs: list, salt: str, tag: str, labels: list[str], what: str) -> list[str]:
    """Unseal one text per public label; a mismatch means the release was edited by hand."""
    if len(blobs) != len(labels):
        raise ValueError(
            f"sealed holds {len(blobs)} {what} texts but there are {len(labels)} {what}s; "
            f"the {what}s do not match the sealed data (edited after release?)"
        )
    try:
        return [unseal(blob, salt, tag, label) for blob, label in zip(blobs, labels, strict=True)]
    except ValueError:
        raise ValueError(
            f"the {what}s do not match the sealed data (was one renamed after release?)"
        ) from None


def _no_mixing(sealed, **source_only) -> None:
    """The sealed form must not also carry source-only answers: that would defeat sealing."""
    given = [name for name, value in source_only.items() if value is not None]
    if sealed is not None and given:
        raise ValueError(
            f"give either the source form (with {', '.join(given)}) or the sealed form "
            "(with sealed=...), not both"
        )


def _display_order(checkpoint_id: str, steps: list[str]) -> list[str]:
    """A deterministic shuffle of ``steps`` that is never their correct order (for 2+ steps).

    Sorting by salted digests gives the same order on every run and machine (unlike ``random``,
    whose algorithms may change between Python versions). If that happens to be the correct order,
    rotating it by one fixes that: a rotation of distinct items is never the identity.
    """
    salt = salt_for(checkpoint_id, "display-order")
    order = sorted(steps, key=lambda step: digest(step, salt))
    if order == list(steps) and len(order) > 1:
        order = order[1:] + order[:1]
    return order


class Sealed:
    """What every kind shares without widgets: the two forms, sealing, loading, the text form.

    Each kind provides ``_seal_source`` (source form to sealed form), ``_load`` (read the
    sealed form), ``_solution`` (the answer, recovered from the digests) and ``_text_body``.
    Constructing one checks and loads it, and builds no widget.
    """

    _kind = ""

    #: Keywords only the source form may carry (never written into a student's notebook).
    _source_only: tuple[str, ...] = ("explanation",)

    def _prepare(self, kwargs: dict) -> None:
        """Check and load sealed-form arguments; builds no widget and registers nothing."""
        self.id = _id(kwargs["id"])
        self.question = _text(kwargs["question"], "question")
        self.hint = _text(kwargs["hint"], "hint")
        self._salt = salt_for(self.id)
        self._load(kwargs)

    @classmethod
    def _normalize(cls, given: dict) -> dict:
        """Sealed-form keyword arguments from either form (sealing the source form)."""
        sealed = given.get("sealed")
        if sealed is None:
            return cls._seal_source(**{k: v for k, v in given.items() if k != "sealed"})
        _no_mixing(sealed, **{k: given.get(k) for k in cls._source_only})
        return {k: v for k, v in given.items() if k not in cls._source_only}

    @classmethod
    def sealed_arguments(cls, **kwargs) -> dict:
        """Return the sealed-form keyword arguments for a checkpoint given in source form.

        The release preprocessor writes them back as ``Kind(**returned)``; every value is a plain
        str or list of str, so ``repr()`` writes valid Python. The result is loaded once before it
        is returned, so a release can never hold a checkpoint that fails to open. Sealed-form
        arguments are checked and returned as they are, so sealing twice is harmless.
        """
        inspect.signature(cls).bind(**kwargs)  # unknown or missing keywords: TypeError, as a call
        sealed_kwargs = cls._normalize(kwargs)
        cls.__new__(cls)._prepare(sealed_kwargs)  # no widgets, no progress registration
        return sealed_kwargs

    @classmethod
    def _seal_source(cls, **kwargs) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError

    def _explanation(self, solution) -> str:
        """The explanation can only be unsealed with the right answer as (part of) its key."""
        return unseal(self._data["explanation"], self._salt, "explanation", solution)

    def to_text(self) -> str:
        """The plain-text form, for places where widgets cannot show (GitHub, nbconvert HTML)."""
        lines = [f"Checkpoint: {self.question}", *self._text_body(), f"Hint: {self.hint}"]
        lines.append(_INTERACTIVE_NOTE)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id!r}>"

    def _init(self, given: dict) -> None:
        """Normalise to the sealed form and load it (the widget classes add their widgets)."""
        self._prepare(self._normalize(given))


class MultipleChoiceSpec(Sealed):
    """One right option among several; every option has its own feedback saying why.

    Source form: ``options`` is a dict ``{option: feedback}`` plus ``answer`` and ``explanation``.
    Sealed form: ``options`` is the list of options and ``sealed`` carries the rest.
    """

    _kind = "MultipleChoice"

    _source_only = ("answer", "explanation")

    def __init__(
        self,
        *,
        id: str,
        question: str,
        options,
        hint: str,
        answer: str | None = None,
        explanation: str | None = None,
        sealed: str | None = None,
    ):
        self._init(
            dict(
                id=id,
                question=question,
                options=options,
                hint=hint,
                answer=answer,
                explanation=explanation,
                sealed=sealed,
            )
        )

    @classmethod
    def _seal_source(cls, *, id, question, options, hint, answer=None, explanation=None) -> dict:
        id = _id(id)
        _text(question, "question")
        _text(hint, "hint")
        if not isinstance(options, dict):
            raise ValueError(
                "options must be a dict {option: feedback} in the source form, so that every "
                "option has feedback saying why it is right or wrong"
            )
        labels = _labels(list(options), "option", MAX_CHOICE_CHARS, 2)
        for label in labels:
            _text(options[label], f"the feedback for option {label!r}")
        if answer is None:
            raise ValueError("answer is missing: name the right option (or give sealed=...)")
        if answer not in options:
            raise ValueError(f"answer {answer!r} is not one of the options {labels!r}")
        _text(explanation, "explanation")
        salt = salt_for(id)
        payload = {
            "kind": cls._kind,
            "version": SEALED_VERSION,
            "answer": digest(answer, salt),
            "feedback": [seal(options[o], salt, "feedback", o) for o in labels],
            "explanation": seal(explanation, salt, "explanation", answer),
        }
        return {
            "id": id,
            "question": question,
            "options": labels,
            "hint": hint,
            "sealed": _pack(payload),
        }

    def _load(self, kwargs: dict) -> None:
        self.options = _labels(kwargs["options"], "option", MAX_CHOICE_CHARS, 2)
        self._data = _unpack(
            kwargs["sealed"], self._kind, {"answer": str, "feedback": list, "explanation": str}
        )
        texts = _unseal_all(self._data["feedback"], self._salt, "feedback", self.options, "option")
        self._option_feedback = dict(zip(self.options, texts, strict=True))
        self._solution()  # fails now, not at "Show answer", if options and digest disagree

    def _solution(self) -> str:
        right = [o for o in self.options if matches(o, self._data["answer"])]
        if len(right) != 1:
            raise ValueError(
                f"the options do not match the sealed answer of checkpoint {self.id!r} "
                "(was an option or the id changed after release?)"
            )
        return right[0]

    def _text_body(self) -> list[str]:
        return [f"  ( ) {o}" for o in self.options]


class ClassifySpec(Sealed):
    """Put each item into the right bucket; every item has a why shown when it is misplaced.

    Source form: ``items`` is a dict ``{item: (bucket, why)}`` plus ``explanation``.
    Sealed form: ``items`` is the list of items and ``sealed`` carries the rest.
    """

    _kind = "Classify"

    def __init__(
        self,
        *,
        id: str,
        question: str,
        buckets,
        items,
        hint: str,
        explanation: str | None = None,
        sealed: str | None = None,
    ):
        self._init(
            dict(
                id=id,
                question=question,
                buckets=buckets,
                items=items,
                hint=hint,
                explanation=explanation,
                sealed=sealed,
            )
        )

    @classmethod
    def _seal_source(cls, *, id, question, buckets, items, hint, explanation=None) -> dict:
        id = _id(id)
        _text(question, "question")
        _text(hint, "hint")
        bucket_list = _labels(buckets, "bucket", MAX_CHOICE_CHARS, 2)
        if not isinstance(items, dict):
            raise ValueError(
                "items must be a dict {item: (bucket, why)} in the source form, so that every "
                "item has its bucket and a why"
            )
        labels = _labels(list(items), "item", MAX_ITEM_CHARS, 1)
        mapping = {}
        whys = []
        for item in labels:
            value = items[item]
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                raise ValueError(f"item {item!r} must map to a pair (bucket, why), got {value!r}")
            bucket, why = value
            if bucket not in bucket_list:
                raise ValueError(
                    f"item {item!r} is put in {bucket!r}, which is not one of the buckets {bucket_list!r}"
                )
            mapping[item] = bucket
            whys.append(_text(why, f"the why for item {item!r}"))
        _text(explanation, "explanation")
        salt = salt_for(id)
        payload = {
            "kind": cls._kind,
            "version": SEALED_VERSION,
            "placement": [digest([item, mapping[item]], salt) for item in labels],
            "why": [seal(why, salt, "why", item) for item, why in zip(labels, whys, strict=True)],
            "explanation": seal(explanation, salt, "explanation", mapping),
        }
        return {
            "id": id,
            "question": question,
            "buckets": bucket_list,
            "items": labels,
            "hint": hint,
            "sealed": _pack(payload),
        }

    def _load(self, kwargs: dict) -> None:
        self.buckets = _labels(kwargs["buckets"], "bucket", MAX_CHOICE_CHARS, 2)
        self.items = _labels(kwargs["items"], "item", MAX_ITEM_CHARS, 1)
        self._data = _unpack(
            kwargs["sealed"], self._kind, {"placement": list, "why": list, "explanation": str}
        )
        if len(self._data["placement"]) != len(self.items):
            raise ValueError("the items do not match the sealed data (edited after release?)")
        texts = _unseal_all(self._data["why"], self._salt, "why", self.items, "item")
        self._why = dict(zip(self.items, texts, strict=True))
        self._solution()

    def _solution(self) -> dict:
        mapping = {}
        for i, item in enumerate(self.items):
            right = [b for b in self.buckets if self._placed_right(i, b)]
            if len(right) != 1:
                raise ValueError(
                    f"item {item!r} does not match the sealed answer of checkpoint {self.id!r} "
                    "(was an item, a bucket or the id changed after release?)"
                )
            mapping[item] = right[0]
        return mapping

    def _placed_right(self, index: int, bucket: str) -> bool:
        return matches([self.items[index], bucket], self._data["placement"][index])

    def _text_body(self) -> list[str]:
        return [f"  Buckets: {' | '.join(self.buckets)}"] + [f"  [ ] {item}" for item in self.items]


class OrderSpec(Sealed):
    """Put steps in order; each position is marked right or wrong, with the why of its step.

    Source form: ``steps`` is a dict ``{step: why}`` written in the correct order, plus
    ``explanation``. Sealed form: ``steps`` is the list in a fixed shuffled display order. Both
    show the steps in that shuffled order, never in the correct one.
    """

    _kind = "Order"

    def __init__(
        self,
        *,
        id: str,
        question: str,
        steps,
        hint: str,
        explanation: str | None = None,
        sealed: str | None = None,
    ):
        self._init(
            dict(
                id=id,
                question=question,
                steps=steps,
                hint=hint,
                explanation=explanation,
                sealed=sealed,
            )
        )

    @classmethod
    def _seal_source(cls, *, id, question, steps, hint, explanation=None) -> dict:
        id = _id(id)
        _text(question, "question")
        _text(hint, "hint")
        if not isinstance(steps, dict):
            raise ValueError(
                "steps must be a dict {step: why} in the correct order in the source form, so "
                "that every step has a why"
            )
        correct = _labels(list(steps), "step", MAX_CHOICE_CHARS, 2)
        for step in correct:
            _text(steps[step], f"the why for step {step!r}")
        _text(explanation, "explanation")
        salt = salt_for(id)
        shown = _display_order(id, correct)
        payload = {
            "kind": cls._kind,
            "version": SEALED_VERSION,
            "sequence": digest(correct, salt),
            "positions": [digest([i, step], salt) for i, step in enumerate(correct, start=1)],
            "why": [seal(steps[step], salt, "why", step) for step in shown],
            "explanation": seal(explanation, salt, "explanation", correct),
        }
        return {
            "id": id,
            "question": question,
            "steps": shown,
            "hint": hint,
            "sealed": _pack(payload),
        }

    def _load(self, kwargs: dict) -> None:
        self.steps = _labels(kwargs["steps"], "step", MAX_CHOICE_CHARS, 2)
        self._data = _unpack(
            kwargs["sealed"],
            self._kind,
            {"sequence": str, "positions": list, "why": list, "explanation": str},
        )
        if len(self._data["positions"]) != len(self.steps):
            raise ValueError("the steps do not match the sealed data (edited after release?)")
        texts = _unseal_all(self._data["why"], self._salt, "why", self.steps, "step")
        self._why = dict(zip(self.steps, texts, strict=True))
        self._solution()

    def _solution(self) -> list[str]:
        """Recover the order position by position (n² digests, not n! permutations)."""
        sequence = []
        for position in range(1, len(self.steps) + 1):
            right = [s for s in self.steps if self._at_right_place(position, s)]
            if len(right) != 1:
                sequence = None
                break
            sequence.append(right[0])
        if sequence is None or not matches(sequence, self._data["sequence"]):
            raise ValueError(
                f"the steps do not match the sealed answer of checkpoint {self.id!r} "
                "(was a step or the id changed after release?)"
            )
        return sequence

    def _at_right_place(self, position: int, step: str) -> bool:
        return matches([position, step], self._data["positions"][position - 1])

    def _text_body(self) -> list[str]:
        lines = ["  Steps, in no particular order:"]
        lines += [f"  - {step}" for step in self.steps]
        lines += [f"  Step {i}: ____" for i in range(1, len(self.steps) + 1)]
        return lines


#: Every kind of checkpoint, by the name authors call it with.
KINDS: dict[str, type[Sealed]] = {k._kind: k for k in (MultipleChoiceSpec, ClassifySpec, OrderSpec)}
