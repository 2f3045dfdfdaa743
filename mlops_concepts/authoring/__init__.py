"""Tools for authors of chapters: the chapter linter (``mlops-concepts check <id>``)."""
