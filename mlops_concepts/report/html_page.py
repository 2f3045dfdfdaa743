"""The class report as one self-contained HTML page, rendered from ``templates/report.html.j2``.

Autoescape is on, and every value is escaped by the standard library's :func:`html.escape` (the
same escaping as the rest of the package's pages): student names, answers and notes are
untrusted, and only the plots' base64 text and the template's own markup reach the page as is.
"""

from __future__ import annotations

import html
import statistics
from datetime import datetime, timezone
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..contract.untrusted import printable
from .model import (
    ALL,
    LOW_DISCRIMINATION,
    LOW_FACILITY,
    MIN_FOR_DISCRIMINATION,
    TOP_WRONG,
    ClassData,
    fmt,
    noise,
    points,
)
from .plots import items_plot, score_plot
from .stats import DISCRIMINATION_DEFINITION, FACILITY_DEFINITION, ItemStats, objective_stats


def _escaped(value) -> Markup:
    # Jinja's own escaping writes ' as &#39;; html.escape as &#x27;. Either is safe: this keeps
    # one form across the package. Markup (the template's macros) is already safe.
    return value if isinstance(value, Markup) else Markup(html.escape(str(value), quote=True))


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("mlops_concepts.report", "templates"),
        autoescape=True,
        finalize=_escaped,
        undefined=StrictUndefined,  # a misspelt name fails the report, not a blank in the page
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["fmt"] = fmt
    env.filters["points"] = points
    return env


def _plot(png_alt: tuple[str, str]) -> dict[str, str]:
    png, alt = png_alt
    return {"png": png, "alt": alt}


def render_html(data: ClassData, stats: list[ItemStats], generated: str | None = None) -> str:
    """The whole report as one self-contained HTML page (no external resource of any kind)."""
    generated = generated or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    objectives = objective_stats(data, stats)
    totals = [s.total for s in data.students]
    by_key = {i.key: i for i in data.items}
    pending = [
        (printable(s.name), [by_key[k].title if k in by_key else "a graded cell" for k in s.pending()])
        for s in data.students
        if s.pending()
    ]
    template = _environment().get_template("report.html.j2")
    return template.render(
        assignment=data.assignment,
        generated=generated,
        n_students=len(data.students),
        mean_total=statistics.fmean(totals),
        median_total=statistics.median(totals),
        max_total=data.max_total,
        pending=pending,
        not_graded=[(printable(name), printable(why, 400)) for name, why in sorted(data.not_graded.items())],
        score_plot=_plot(score_plot(data)),
        items_plot=_plot(items_plot(stats)),
        no_table=len(objectives) == 1 and objectives[0].name == ALL,
        stats=stats,
        with_wrong=[(s.item.label, s.wrong) for s in stats if s.wrong],
        objectives=objectives,
        number={o.name: n for n, o in enumerate(objectives, 1)},
        small_class=noise(len(data.students)) if len(data.students) < MIN_FOR_DISCRIMINATION else None,
        min_students=MIN_FOR_DISCRIMINATION,
        top_wrong=TOP_WRONG,
        low_facility=LOW_FACILITY,
        low_discrimination=LOW_DISCRIMINATION,
        facility_definition=FACILITY_DEFINITION,
        discrimination_definition=DISCRIMINATION_DEFINITION,
    )
