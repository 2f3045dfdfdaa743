"""The grader side's shared rules: which cell is which, student ids, untrusted text, how an
exercise's test cell reads, what a submission folder may hold. Imports only the kernel-side modules.
"""
