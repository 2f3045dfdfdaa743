"""Chapter 2, "Design and Development": its package code.

Its diagrams (:mod:`.diagrams`) and its hands-on lab (:mod:`.lab`)."""
