"""gunicorn's defaults for ``shnor serve`` (loaded with ``-c python:shnor.web.gunicorn_conf``).

Anything here can be changed without editing it: gunicorn reads ``GUNICORN_CMD_ARGS`` (e.g.
``GUNICORN_CMD_ARGS="--workers 6 --threads 4"``) over this file, and ``WEB_CONCURRENCY`` sets the
number of worker processes. ``shnor serve`` passes the address (127.0.0.1 and ``--port``) itself.
"""

from __future__ import annotations

import os

# processes × threads: pages wait on the database more than they compute; chosen with `shnor loadtest`
# (docs/benchmarks.md)
workers = int(os.environ.get("WEB_CONCURRENCY") or min(4, (os.cpu_count() or 1) + 1))
worker_class = "gthread"
threads = 8
# a browser import is a background job, but an XLSX list export of a large region or a PDF takes a while
timeout = 120
graceful_timeout = 20
# requests go to stdout, errors to stderr: the journal under systemd
accesslog = "-"
errorlog = "-"
loglevel = "info"
# the reverse proxy (nginx) sits on the same machine; X-Forwarded-* from anyone else are ignored
forwarded_allow_ips = "127.0.0.1,::1"
proc_name = "shnor-web"
# no control socket: gunicorn would put one at ~/.gunicorn/gunicorn.ctl, shared by every instance of the
# same user (the load test, a second `shnor serve`) and a write into the service user's home
control_socket_disable = True
