"""REST API (django-ninja) under /api/: the same scoping as the web, session or token authentication."""
