"""gunicorn settings for production: gunicorn -c deploy/gunicorn.conf.py 'equipment_share:create_app()'.

Values can be overridden with GUNICORN_* environment variables in the systemd unit.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # nginx in front; never public
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))  # 2 per core is plenty: requests are short
worker_class = "sync"
# the app made once in the master and shared copy-on-write (about a third less memory with 4
# workers); an update then needs a restart, not a reload (docs/deployment.md)
preload_app = os.environ.get("GUNICORN_PRELOAD", "") == "1"
timeout = 60  # an .ics import or statement export can take seconds, not minutes
graceful_timeout = 30
keepalive = 5
# a worker is replaced after this many requests, so that memory a hostile upload grew is given
# back (jitter keeps the workers from restarting together)
max_requests = 2000
max_requests_jitter = 200
# request line and header limits below the defaults: nothing legitimate here is larger
limit_request_line = 8190
limit_request_fields = 60
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms id=%({x-request-id}o)s'
forwarded_allow_ips = "127.0.0.1"
proc_name = "equipment_share"
