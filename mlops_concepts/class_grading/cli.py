"""The ``mlops-concepts`` command: ``grade``, ``demo``, ``check``, ``report``, ``exchange-setup``,
``new-course`` and ``dask-certs``.

This module imports only the standard library, and the command's work is in
:mod:`.pipeline` (and :mod:`.report`), imported once the arguments are read. The grading
pipeline needs nbgrader, and importing it costs more than a second. So ``grade`` on this machine
starts the run's forkserver (:mod:`.children`) before anything else: the server imports
nbgrader on one core while this process imports the pipeline on the other, instead of after it.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from .layout import DEMO_COURSE, INTERRUPTED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlops-concepts", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (
        ("demo", "build release/, grade the sample submissions, export"),
        ("grade", "grade every submission in submitted/, export"),
    ):
        p = sub.add_parser(
            name,
            help=helptext,
            epilog="Other --Class.trait=value options are passed to nbgrader "
            "autograde, e.g. --SandboxedExecute.sandbox=False (trusted "
            "submissions only) or --Execute.timeout=120.",
        )
        p.add_argument(
            "assignment",
            nargs="*",
            help="chapter ids (default: "
            + (
                "every released chapter someone submitted"
                if name == "grade"
                else "every chapter with a sample class"
            )
            + ")",
        )
        if name == "grade":
            p.add_argument("--root", type=Path, default=Path.cwd(), help="course directory")
            p.add_argument(
                "--jobs",
                type=int,
                default=None,
                help="students graded at once on this machine (default: the CPU count)",
            )
            p.add_argument(
                "--scheduler",
                default=None,
                help="a Dask scheduler address, e.g. tls://host:8786: grade on its "
                "workers, which must share the course directory (mutual TLS: see --dask-certs)",
            )
            p.add_argument(
                "--dask-certs",
                type=Path,
                default=None,
                metavar="DIR",
                help="the folder `mlops-concepts dask-certs DIR` wrote: the course CA (ca.pem) "
                "and this client's certificate (client.pem, client-key.pem)",
            )
            p.add_argument(
                "--insecure-scheduler",
                action="store_true",
                help="accept a tcp:// scheduler: anyone who can reach it runs code on the "
                "workers with their rights, outside the sandbox",
            )
        else:
            p.add_argument(
                "--course",
                type=Path,
                default=None,
                help=f"the throwaway course directory (default: {DEMO_COURSE}/ here)",
            )
    p = sub.add_parser(
        "new-course",
        help="create a course directory for one class: configuration, every chapter's source "
        "with hidden lab seeds of its own, an empty gradebook and a safe exchange",
    )
    p.add_argument("folder", type=Path, help="a new or empty folder")
    p.add_argument(
        "--course-id",
        default=None,
        help="the class's own course id, its folder in the exchange (default: mlops-concepts); "
        "classes that share an exchange need one each",
    )
    p = sub.add_parser(
        "dask-certs",
        help="write a certificate authority and scheduler, worker and client certificates "
        "for grading on a Dask cluster over mutual TLS (uses the openssl command)",
    )
    p.add_argument("folder", type=Path, help="an empty or new folder; keys are readable by you only")
    p = sub.add_parser("check", help="lint chapters against the authoring contract (no code runs)")
    p.add_argument("assignment", nargs="*", help="chapter ids (default: every chapter in source/)")
    p.add_argument("--root", type=Path, default=Path.cwd(), help="course directory")
    p = sub.add_parser(
        "report",
        help="class report: score distribution, item analysis, "
        "common wrong answers (HTML) and a per-item CSV",
    )
    p.add_argument("assignment", nargs="*", help="chapter ids (default: every graded chapter)")
    p.add_argument("--root", type=Path, default=Path.cwd(), help="course directory")
    p.add_argument(
        "--out", type=Path, default=None, help="the HTML report (default: <root>/reports/<assignment>.html)"
    )
    p.add_argument(
        "--csv",
        type=Path,
        default=None,
        help="the per-item CSV (default: <root>/reports/<assignment>-items.csv)",
    )
    p = sub.add_parser(
        "exchange-setup",
        help="create the nbgrader exchange with safe owners and modes, or --check one",
    )
    p.add_argument("--root", type=Path, default=Path.cwd(), help="course directory")
    p.add_argument("--exchange", default=None, help="the exchange (default: the course's Exchange.root)")
    p.add_argument("--course-id", default="mlops-concepts", help="the course's folder in the exchange")
    p.add_argument("--owner", default=None, help="the instructor's user name (default: you)")
    p.add_argument("--check", action="store_true", help="only list what is unsafe, with the fixes")
    return parser


def console() -> None:
    """The ``mlops-concepts`` command (and ``python -m mlops_concepts.class_grading.cli``): run, then exit
    at once with the command's status.

    Everything is written and closed by then: the gradebook, the CSV, the feedback. Exiting at
    once skips freeing nbgrader's modules object by object (about 0.3 s at the end of every
    run); the run's forkserver ends when this process does.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said there
            pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:  # between two steps of a run (inside one, grade says more)
        print("Interrupted.", flush=True)
        return INTERRUPTED


def _main(argv: list[str] | None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "check":
        if extra:
            parser.error(f"unrecognised arguments: {' '.join(extra)}")
        from .pipeline import check

        return check(args.root.resolve(), args.assignment)
    if args.command == "exchange-setup":
        from ..nbgrader_plugins.exchange_setup import cli as exchange_cli

        return exchange_cli(args, extra)
    if args.command == "dask-certs":
        return _dask_certs(parser, args, extra)
    if args.command == "new-course":
        from .new_course import cli as new_course_cli

        return new_course_cli(args, extra)
    if args.command == "report":
        from ..report.command import cli as report_cli

        return report_cli(args, extra)
    bad = [a for a in extra if not re.fullmatch(r"--\w+\.\w+=.*", a)]
    if bad:
        parser.error(f"unrecognised arguments: {' '.join(bad)}")
    if args.command == "demo":
        from .pipeline import demo

        return demo(args.assignment, tuple(extra), args.course.resolve() if args.course else None)
    root = args.root.resolve()
    if not (root / "nbgrader_config.py").exists():
        parser.error(f"{root} is not a course directory (no nbgrader_config.py)")
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be 1 or more")
    certs = _checked_scheduler(parser, args)
    if not args.scheduler:
        from .children import start

        start()  # the forkserver imports nbgrader while this process imports the pipeline
    from .pipeline import grade, with_submissions

    assignments = args.assignment or with_submissions(root)
    if not assignments:  # before `nbgrader collect`: say so, and fail (pipeline.grade's status 2)
        from .uncollected import nothing_collected_anywhere

        print(nothing_collected_anywhere(root), flush=True)
        return 2
    codes = []
    for assignment in assignments:
        codes.append(
            grade(
                root,
                assignment,
                nbgrader_args=tuple(extra),
                jobs=args.jobs,
                scheduler=args.scheduler,
                dask_certs=certs,
            )
        )
        if codes[-1] == INTERRUPTED:  # Ctrl-C stops the command, not one chapter
            break
    return max(codes)


def _checked_scheduler(parser, args) -> Path | None:
    """The certificate folder for ``--scheduler`` (None without TLS); exits 2 on a scheduler
    that would admit anyone, unless ``--insecure-scheduler``."""
    from .dask_tls import SchedulerRefused, check_scheduler

    if args.scheduler is None:
        if args.dask_certs or args.insecure_scheduler:
            parser.error("--dask-certs and --insecure-scheduler go with --scheduler")
        return None
    certs = args.dask_certs.resolve() if args.dask_certs else None
    try:
        check_scheduler(args.scheduler, certs, args.insecure_scheduler)
    except SchedulerRefused as err:
        parser.error(str(err))
    if certs is None:
        print(
            "WARNING: grading on an unencrypted Dask scheduler: anyone who can reach it runs code "
            "on its workers with their rights.",
            flush=True,
        )
    return certs


def _dask_certs(parser, args, extra) -> int:
    from .dask_tls import make_certs

    if extra:
        parser.error(f"unrecognised arguments: {' '.join(extra)}")
    try:
        written = make_certs(args.folder.resolve())
    except (OSError, RuntimeError) as err:
        print(f"Could not write the certificates: {err}", flush=True)
        return 2
    print(f"Wrote {len(written)} files to {args.folder.resolve()}:", flush=True)
    for path in written:
        print(f"  {path.name}", flush=True)
    print(
        "Keep ca-key.pem away from every machine but this one; give each worker ca.pem, "
        "worker.pem and worker-key.pem, the scheduler ca.pem, scheduler.pem and "
        "scheduler-key.pem. See docs/security/labs-and-dask.md.",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    console()
