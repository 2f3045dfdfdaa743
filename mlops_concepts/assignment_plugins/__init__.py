"""What ``nbgrader generate_assignment`` loads through nbgrader_config.py: the
release-time preprocessors (sealed keys, stubs, diagrams, estimated time).
"""
