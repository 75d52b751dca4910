__version__ = "0.1.0"

try:
	import frappe
except ImportError:  # the pure-logic unit tests run without Frappe
	pass
else:
	# Every bench CLI process (console, execute, worker, scheduler, run-tests) imports each app at start:
	# wrap the SMS send path there. Web workers and jobs are covered by the hooks in hooks.py. Inside a
	# web request the app can be imported halfway through Frappe's own OTP send (a login runs before
	# the before_request hooks): wrapping then would make it enqueue a send_request that pickle no
	# longer finds under its name, so there the next request's before_request does it.
	from sms_log_app.capture import install

	if not getattr(frappe.local, "request", None):
		install()
