"""The ``mlops-concepts`` command: grade a class (children running nbgrader, the
gradebook merges, Dask), the demo, the course check and ``new-course``.
"""
