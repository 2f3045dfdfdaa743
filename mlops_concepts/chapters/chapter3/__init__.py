"""Chapter 3, "Deploying ML into production": its package code.

Its diagrams (:mod:`.diagrams`) and its hands-on lab (:mod:`.lab`)."""
