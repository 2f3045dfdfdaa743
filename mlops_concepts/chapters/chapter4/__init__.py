"""Chapter 4, "Maintaining ML in Production": its package code.

Its diagrams (:mod:`.diagrams`) and its hands-on lab (:mod:`.lab`)."""
