"""Chapter 1, "Introduction to MLOps": its package code, its diagrams (:mod:`.diagrams`)."""
