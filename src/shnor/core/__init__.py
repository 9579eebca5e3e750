"""Pure-Python core: ingest, warehouse, methods, config, reports, demo. Never imports Django."""
