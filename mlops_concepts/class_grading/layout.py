"""Where a grading run keeps its work, under the course directory (all of it in ``.grading/``),
and what the command says back: standard library only, for the command line (:mod:`.cli`),
which reads its arguments before anything heavy is imported.
"""

STAGING = ".grading/staging"  # <student>/<student>/<assignment>: each submission, staged
GRADED = ".grading/graded"  # <student>/<student>/<assignment>: autograded, until published
JOBS = ".grading/jobs"  # <student>/gradebook.db: each student's scratch gradebook; the template
LOGS = ".grading/logs"  # <student>.log, feedback/<student>.log

DEMO_COURSE = ".demo-course"  # the demo's throwaway course, in the folder the command runs in
INTERRUPTED = 130  # the exit status of a command stopped by Ctrl-C, as shells have it
