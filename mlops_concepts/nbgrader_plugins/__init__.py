"""What plain nbgrader loads through nbgrader_config.py to grade: converters,
preprocessors, the sandboxed kernel, exchange and export plugins, the Formgrader page fix.
"""
