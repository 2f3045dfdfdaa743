"""Show text that a student controls (file names, printed output, ids) to an instructor safely.

Anything a submission can choose reaches the instructor's terminal and the grading logs: file
names, error messages that quote student output, folder names. Written raw, control characters
can move the cursor, clear the screen or recolour text, bidirectional overrides can reverse what a
line seems to say, and a newline can forge a whole line of nbgrader's own output, such as
"Autograding complete: student X 16/16". So student text is never written raw:

* :func:`printable` escapes every control, format and separator character (``\\x1b``, ``\\u202e``,
  line breaks, lone surrogates, bytes a file name had that are not UTF-8) into visible ``\\x..``
  forms, and shortens what is too long;
* :func:`quoted` also marks where student text starts and ends, so that no student text can pass
  for the grader's own words.
"""

from __future__ import annotations

import os
import unicodedata

MAX_CHARS = 200

# Unicode categories that never belong, raw, in one line of a terminal or a log: controls (Cc),
# format characters such as bidirectional overrides and zero-width joiners (Cf), line and
# paragraph separators (Zl, Zp), surrogates (Cs, from file names that are not UTF-8), private use
# and unassigned code points (Co, Cn).
_UNSAFE = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text, limit: int = MAX_CHARS, backslashes: bool = True) -> str:
    """``text`` on one line, every unsafe character escaped, at most ``limit`` characters kept.

    ``backslashes=False`` is for text already made printable (quoted notes): its escapes stay
    readable instead of doubling; control characters are still escaped.
    """
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    elif not isinstance(text, str):
        text = str(text)
    out = []
    for char in text[: limit + 1]:
        if char == "\\" and backslashes:
            out.append("\\\\")  # so an escape written by the student cannot pass for ours
        elif unicodedata.category(char) in _UNSAFE:
            out.append(_escape(char))
        else:
            out.append(char)
    result = "".join(out)
    return result if len(text) <= limit else result + "…"


def quoted(text, limit: int = MAX_CHARS) -> str:
    """``text`` made :func:`printable` and wrapped in ‹…›: visibly the student's, not the grader's."""
    return f"‹{printable(text, limit)}›"
