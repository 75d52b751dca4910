"""What `scripts/try --check` asserts of a served demo site, from outside, over HTTP only.

	check_demo.py <base URL> <site> [--erpnext] [--desk-only]

Logs in as Administrator, then checks that the SMS Log list's Desk page and every asset bundle it loads
answer 200, that REST lists more than 200 SMS Logs, that an SMS sent through the site's `send_sms`
lands in a new log as Sent, and with --erpnext that the demo invoice's timeline holds its SMS
(--desk-only: the login, and Desk's /app and its bundles, on any site). Ends with `try: N passed, N failed`; exits 1 when
one failed. Runs with the bench's Python (it has requests).
"""

import json
import re
import sys
import time
import uuid

import requests

ADMIN = ("Administrator", "admin")
DEMO_CUSTOMER = "Al Noor Trading"  # sms_log_app.tests.seed_logs.DEMO_CUSTOMERS[0]
DEMO_NUMBER = "0551000001"
MORE_LOGS_THAN = 200
SENT_WITHIN = 60  # seconds for the new SMS's log to become Sent


class Demo:
	def __init__(self, base_url: str, site: str):
		self.base_url = base_url.rstrip("/")
		self.session = requests.Session()
		# the site is chosen by the host name, as behind a reverse proxy
		self.session.headers["Host"] = site

	def get(self, path: str, **params) -> requests.Response:
		return self.session.get(self.base_url + path, params=params, timeout=60)

	def post(self, path: str, **data) -> requests.Response:
		return self.session.post(self.base_url + path, data=data, timeout=60)

	def logs(self, **params) -> list[dict]:
		answer = self.get(
			"/api/resource/SMS Log", **{k: json.dumps(v) for k, v in params.items()}, limit_page_length=0
		)
		answer.raise_for_status()
		return answer.json()["data"]


def logs_in(demo: Demo):
	answer = demo.post("/api/method/login", usr=ADMIN[0], pwd=ADMIN[1])
	assert answer.status_code == 200, f"login answered {answer.status_code}: {answer.text[:200]}"
	assert answer.json().get("message") == "Logged In", answer.text[:200]
	# Desk sends the session's CSRF token with every POST; so does this client
	token = re.search(r'csrf_token = "(\w+)"', demo.get("/app").text)
	assert token, "Desk's page holds no CSRF token"
	demo.session.headers["X-Frappe-CSRF-Token"] = token.group(1)


def serves_desk(demo: Demo, page: str = "/app/sms-logs"):
	answer = demo.get(page)
	assert answer.status_code == 200, f"{page} answered {answer.status_code}"
	bundles = sorted(set(re.findall(r"/assets/[\w./-]+\.bundle\.\w+\.(?:js|css)", answer.text)))
	assert bundles, f"{page} loads no asset bundle"
	missing = [bundle for bundle in bundles if demo.get(bundle).status_code != 200]
	assert (
		not missing
	), f"{len(missing)} of its {len(bundles)} asset bundles do not answer 200, among them {missing[:3]}"
	print(f"   {len(bundles)} asset bundles answer 200")


def lists_logs(demo: Demo):
	count = len(demo.logs(fields=["name"]))
	assert count > MORE_LOGS_THAN, f"REST lists {count} SMS Logs, not more than {MORE_LOGS_THAN}"
	print(f"   REST lists {count} SMS Logs")


def sends(demo: Demo):
	message = f"scripts/try --check {uuid.uuid4().hex[:12]}"
	before = {log["name"] for log in demo.logs(fields=["name"])}
	answer = demo.post(
		"/api/method/frappe.core.doctype.sms_settings.sms_settings.send_sms",
		receiver_list=json.dumps([DEMO_NUMBER]),
		msg=message,
	)
	assert answer.status_code == 200, f"send_sms answered {answer.status_code}: {answer.text[:300]}"
	deadline = time.monotonic() + SENT_WITHIN
	while True:
		logs = demo.logs(fields=["name", "status"], filters=[["message", "=", message]])
		if (logs and logs[0]["status"] == "Sent") or time.monotonic() > deadline:
			break
		time.sleep(1)
	assert len(logs) == 1, f"{len(logs)} logs hold the message sent"
	assert logs[0]["name"] not in before, f"{logs[0]['name']} is not a new log"
	assert logs[0]["status"] == "Sent", f"{logs[0]['name']} is {logs[0]['status']}, not Sent"
	print(f"   {logs[0]['name']}: Sent")


def shows_invoice_sms(demo: Demo):
	invoices = demo.get(
		"/api/resource/Sales Invoice",
		filters=json.dumps([["customer", "=", DEMO_CUSTOMER], ["docstatus", "=", 1]]),
	).json()["data"]
	assert invoices, f"no submitted Sales Invoice of {DEMO_CUSTOMER}"
	invoice = invoices[0]["name"]
	answer = demo.get("/api/method/frappe.desk.form.load.getdoc", doctype="Sales Invoice", name=invoice)
	assert answer.status_code == 200, f"the invoice's form answered {answer.status_code}"
	timeline = answer.json()["docinfo"].get("additional_timeline_content") or []
	assert any(
		f"Invoice {invoice} of" in entry.get("content", "") for entry in timeline
	), f"the timeline of {invoice} holds no SMS for it ({len(timeline)} entries)"
	print(f"   {invoice}'s timeline holds its SMS")


def main(argv: list[str]) -> int:
	base_url, site, *flags = argv
	checks = [("the login works", logs_in)]
	if "--desk-only" in flags:
		checks.append(("Desk (/app) and its bundles answer 200", lambda demo: serves_desk(demo, "/app")))
	else:
		checks += [
			("/app/sms-logs and its bundles answer 200", serves_desk),
			(f"REST lists more than {MORE_LOGS_THAN} SMS Logs", lists_logs),
			("a new send_sms lands in a new log as Sent", sends),
		]
		if "--erpnext" in flags:
			checks.append(("the demo invoice's timeline holds its SMS", shows_invoice_sms))
	demo = Demo(base_url, site)
	passed = failed = 0
	for title, check in checks:
		try:
			check(demo)
		except Exception as error:
			failed += 1
			print(f"FAIL {title}: {error!r}")
		else:
			passed += 1
			print(f"ok   {title}")
	print(f"try: {passed} passed, {failed} failed")
	return 1 if failed else 0


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
