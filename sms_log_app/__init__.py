__version__ = "0.1.0"

try:
	import frappe  # noqa: F401
except ImportError:  # the pure-logic unit tests run without Frappe
	pass
else:
	# Every bench CLI process (console, execute, worker, scheduler, run-tests) imports each app at start:
	# wrap the SMS send path there. Web workers and jobs are covered by the hooks in hooks.py.
	from sms_log_app.capture import install

	install()
