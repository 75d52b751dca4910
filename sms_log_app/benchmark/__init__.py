"""A benchmark of the SMS Log at scale: `bench --site <site> execute sms_log_app.benchmark.run`."""

from sms_log_app.benchmark.runner import run

__all__ = ["run"]
