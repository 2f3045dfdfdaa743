"""Where a grading run keeps its work, under the course directory (all of it in ``.grading/``).

Standard library only: the command line (:mod:`.cli`) and the fork server need these paths
before anything heavy is imported.
"""

STAGING = ".grading/staging"  # <batch>/<student>/<assignment>: each submission, staged
GRADED = ".grading/graded"  # <batch>/<student>/<assignment>: autograded, until published
JOBS = ".grading/jobs"  # <batch>/gradebook.db: each batch's scratch gradebook; the template
LOGS = ".grading/logs"  # <student>.log, feedback/<student>.log, batch-<batch>.log, forkserver.log
