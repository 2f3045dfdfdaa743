"""The course's chapters: the one list of them, and each chapter's package code in a folder of its own.

:data:`CHAPTERS` is the only place in the package that lists the chapters. It maps each chapter's
id (its folder in ``source/``, ``release/`` and ``examples/``, and its nbgrader assignment) to its
folder here. A chapter's folder holds what the course package needs of that chapter, as optional
parts found by name:

* ``diagrams``: its static diagrams, a ``DIAGRAMS`` dict by name (collected by
  :data:`mlops_concepts.diagrams.DIAGRAMS`);
* ``lab``: its hands-on lab, a ``DATA`` dict of case generators (collected by
  :func:`mlops_concepts.labs.data`) and the lab's helpers its notebook imports.

A part too long for one module becomes a package of the same name. :mod:`.toolkit` is the drawing
toolkit every chapter's diagrams share; it knows no course fact.

The chapter code lives inside the package (not beside ``source/``) so that the wheel carries it
and the grading sandbox, which sees only the installed package, can import it. Nothing here
imports :mod:`mlops_concepts.diagrams` or :mod:`mlops_concepts.labs`: those import this.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType

#: Every chapter in course order: its id -> its folder in this package.
CHAPTERS: dict[str, str] = {
    "01-introduction-to-mlops": "chapter1",
    "02-design-and-development": "chapter2",
    "03-deploying-ml-into-production": "chapter3",
    "04-maintaining-ml-in-production": "chapter4",
}


def parts(part: str) -> list[ModuleType]:
    """Each chapter's module ``part`` (``"diagrams"``, ``"lab"``), in course order; a chapter
    without that part is skipped. Imported here, on first use, so that importing the course
    package stays quick."""
    found = []
    for chapter, folder in CHAPTERS.items():
        if importlib.util.find_spec(f"{__name__}.{folder}") is None:
            raise ModuleNotFoundError(
                f"the chapter list names {folder!r} for {chapter!r}, but there is no such folder "
                f"(with an __init__.py) in {__path__[0]}"
            )
        name = f"{__name__}.{folder}.{part}"
        if importlib.util.find_spec(name) is not None:
            found.append(importlib.import_module(name))
    return found


def by_name(part: str, table: str, what: str) -> dict:
    """The ``table`` dicts of every chapter's ``part`` merged into one; names must be unique."""
    merged: dict = {}
    for module in parts(part):
        for name, value in getattr(module, table).items():
            if name in merged:
                raise ValueError(f"two chapters name {what} {name!r}: names must be unique")
            merged[name] = value
    return merged


class _Alias(importlib.abc.Loader):
    """Loads an old module name as the chapter module it now is (the same object, not a copy)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self.own_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system has just given the module the alias's spec; it keeps its own.
        module.__spec__ = self.own_spec


class OldNames(importlib.abc.MetaPathFinder):
    """``<package>.chapterN`` -> ``mlops_concepts.chapters.chapterN.<part>``.

    Notebooks already released to a class import ``from mlops_concepts.labs.chapter2 import
    describe_comparison``: the chapter modules used to live there. An upgraded package keeps those
    imports working by looking the name up in :data:`CHAPTERS`, not with a copy per chapter.
    """

    def __init__(self, package: str, part: str) -> None:
        self.package, self.part = package, part

    def find_spec(self, fullname, path=None, target=None):
        head, _, folder = fullname.rpartition(".")
        if head != self.package or folder not in CHAPTERS.values():
            return None
        real = f"{__name__}.{folder}.{self.part}"
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, _Alias(real))


def keep_old_names(package: str, part: str) -> None:
    """Make ``<package>.chapterN`` import as chapter N's ``part`` (once per package)."""
    if not any(isinstance(f, OldNames) and f.package == package for f in sys.meta_path):
        sys.meta_path.append(OldNames(package, part))
