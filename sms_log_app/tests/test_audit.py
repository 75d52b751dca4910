# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

"""The log as evidence: gateway faults, bounded send time, hostile input and retention."""

import time

import frappe
from frappe.core.doctype.sms_settings import sms_settings
from frappe.utils import add_days, now_datetime

from sms_log_app import daily_totals, send_input, sending
from sms_log_app.log_writer import separate_connection
from sms_log_app.sms_log_app.doctype.sms_log.sms_log import SMSLog
from sms_log_app.status import QUEUED, SENDING
from sms_log_app.tests.utils import (
	N1,
	N2,
	N3,
	SMSLogTestCase,
	api_token,
	committed_logs,
	committed_sms_settings,
	delete_logs,
	run_jobs,
	served_site,
	set_limits,
)


class TestGatewayFaults(SMSLogTestCase):
	def test_each_fault_has_a_clear_reason(self):
		# (gateway behaviour, recipient status, HTTP status, reason); Unconfirmed where the request went
		# out but no answer came back: the SMS may have been sent
		# (no three gateway failures in a row: that would stop the send, see the next tests)
		faults = [
			("reject", "Failed", 400, "HTTP 400 Bad Request"),
			("error", "Failed", 500, "HTTP 500 Internal Server Error"),
			("empty", "Sent", 200, "Accepted, but the gateway's answer was empty"),
			("drop", "Unconfirmed", 0, "The gateway closed the connection without answering"),
			("garbage", "Sent", 200, "Accepted, but the gateway's answer was not readable text"),
			("truncate", "Unconfirmed", 0, "The gateway closed the connection in the middle of its answer"),
		]
		numbers = [f"+96650000010{i}" for i in range(len(faults))]
		self.gateway.behaviours.update({n: f[0] for n, f in zip(numbers, faults, strict=True)})

		self.send(numbers)

		rows = self.the_log().recipients
		for row, (behaviour, status, http_status, reason) in zip(rows, faults, strict=True):
			with self.subTest(behaviour=behaviour):
				self.assertEqual((row.status, row.http_status, row.error), (status, http_status, reason))

	def test_dns_failure(self):
		frappe.db.set_single_value("SMS Settings", "sms_gateway_url", "http://sms-gateway.invalid/send")
		self.send([N1])
		self.assertEqual(
			self.the_log().recipients[0].error,
			"The gateway's host name could not be resolved (DNS) (3 attempts)",  # a DNS failure is retried
		)

	def test_hanging_gateway_holds_a_worker_for_three_timeouts_not_fifty(self):
		set_limits(gateway_timeout=0.3)
		numbers = [f"+9665000002{i:02d}" for i in range(50)]
		self.gateway.behaviours.update(dict.fromkeys(numbers, "hang"))
		self.gateway.hang_seconds = 2

		started = time.monotonic()
		self.send(numbers)
		elapsed = time.monotonic() - started

		self.assertLess(elapsed, 3)  # 50 x 0.3 s would be 15 s
		log = self.the_log()
		# three timed out (they may have been sent), the rest were never tried
		self.assertEqual((log.noofrequested_sms, log.noofsent_sms, log.status), (50, 0, "Unconfirmed"))
		self.assertEqual([r.status for r in log.recipients], ["Unconfirmed"] * 3 + ["Failed"] * 47)
		errors = [r.error for r in log.recipients]
		self.assertEqual(errors[:3], ["The gateway did not answer within 0.3 s"] * 3)
		self.assertEqual(
			set(errors[3:]), {"Not sent: the gateway failed 3 times in a row before this recipient"}
		)
		self.assertEqual(len(self.gateway.requests), 3)

	def test_send_deadline(self):
		set_limits(gateway_timeout=2, send_deadline=0.5)
		numbers = [f"+9665000003{i:02d}" for i in range(10)]
		self.gateway.behaviours.update(dict.fromkeys(numbers, "hang"))
		self.gateway.hang_seconds = 0.2  # slow, but within the timeout

		self.send(numbers)

		log = self.the_log()
		self.assertEqual(log.status, "Partially Sent")
		self.assertIn(log.noofsent_sms, (3, 4))
		self.assertEqual(log.recipients[-1].error, "Not sent: sending had already taken longer than 0.5 s")

	def test_rejections_do_not_trip_the_gateway_breaker(self):
		numbers = [f"+9665000004{i:02d}" for i in range(6)]
		self.gateway.behaviours.update(dict.fromkeys(numbers[:5], "reject"))
		self.send(numbers)
		self.assertEqual(self.the_log().recipients[-1].status, "Sent")


# What send_sms does with each kind of bad or hostile input: (input, receivers, message, outcome).
# The outcome is an exception class (nothing sent, nothing logged) or "logged" (sent and stored exactly).
MESSAGE = object()  # stands for the test's own message
BAD_INPUTS = [
	("empty list", [], MESSAGE, frappe.ValidationError),
	("empty JSON list", "[]", MESSAGE, frappe.ValidationError),
	("list of blanks", ["", "  ", None], MESSAGE, frappe.ValidationError),
	("JSON object", '{"to": "0500000001"}', MESSAGE, send_input.InvalidReceiverList),
	("not JSON", "0500000001, 0500000002", MESSAGE, send_input.InvalidReceiverList),
	("nested list", [["0500000001"]], MESSAGE, send_input.InvalidReceiverList),
	("booleans", "[true]", MESSAGE, send_input.InvalidReceiverList),
	("100,001 recipients", [f"+9665{i:08d}" for i in range(100_001)], MESSAGE, send_input.TooManyRecipients),
	("empty message", [N1], "   ", send_input.InvalidMessage),
	("invalid UTF-8 bytes", [N1], b"Payment \xff\xfe due", send_input.InvalidMessage),
	("JSON string of one number", '"0500000001"', MESSAGE, "logged"),
	("letters and junk in numbers", ["05000abc01", "+96650000000x", N1], MESSAGE, "logged"),
	("5,000-character message (48 parts)", [N1], "ق" * 2500 + "x" * 2500, send_input.InvalidMessage),
	("10 parts: 1,530 GSM-7 characters with the test's mark", [N1], "x" * 1521, "logged"),
	("emoji and Arabic", [N1], "تم الدفع ✅ 😀 شكراً", "logged"),
	("HTML and JS", ["<img src=x onerror=alert(1)>", N2], "<script>alert('x')</script><b>hi</b>", "logged"),
	(
		"SQL metacharacters",
		["0500000001'; DROP TABLE `tabSMS Log`;--", N3],
		"'; DROP TABLE x; -- \\ %_",
		"logged",
	),
]


class TestBadAndHostileInput(SMSLogTestCase):
	def test_bad_and_hostile_inputs(self):
		for name, receivers, message, outcome in BAD_INPUTS:
			with self.subTest(input=name):
				text = self.message if message is MESSAGE else message
				before = len(self.gateway.requests)
				if outcome == "logged":
					marked = f"{text} {frappe.generate_hash(length=8)}"  # to find its log
					self.send(receivers, marked)
					log = self.the_log(marked)
					self.addCleanup(delete_logs, name=log.name)
					self.assertEqual(log.message, marked)
					requested = sms_settings.validate_receiver_nos(send_input.parse_receiver_list(receivers))
					self.assertEqual(log.requested_numbers, "\n".join(requested))
					self.assertEqual([r.number for r in log.recipients], requested)
				else:
					with self.assertRaises(outcome):
						self.send(receivers, text)
					self.assertEqual(len(self.gateway.requests), before, "nothing was sent")
		self.assertEqual(committed_logs(message=self.message), [])

	def test_one_number_listed_in_several_forms_is_sent_once_and_noted(self):
		self.send([N1, "0500000001", N2, N1, "966500000001"])

		self.assertEqual(self.gateway.received_numbers(), [N1, N2])
		log = self.the_log()
		self.assertEqual((log.requested_numbers, log.noofsent_sms), (f"{N1}\n{N2}", 2))
		self.assertEqual(log.send_notes, f"Listed 4 times, sent once: {N1}")


class TestRetention(SMSLogTestCase):
	def test_clear_old_logs_removes_old_logs_with_their_recipients(self):
		for _ in range(3):
			self.send([N1, N2])
		logs = committed_logs(message=self.message)
		old, recent = [log.name for log in logs[:2]], logs[2].name
		with separate_connection():
			for name in old:
				frappe.db.set_value("SMS Log", name, "creation", add_days(now_datetime(), -400))

		with separate_connection():
			SMSLog.clear_old_logs(days=365)

		self.assertEqual([log.name for log in committed_logs(message=self.message)], [recent])
		with separate_connection():
			self.assertFalse(frappe.db.exists("SMS Log Recipient", {"parent": ("in", old)}))
			self.assertEqual(frappe.db.count("SMS Log Recipient", {"parent": recent}), 2)

	def test_logs_younger_than_30_days_and_sends_not_done_are_kept(self):
		for _ in range(4):
			self.send([N1])
		young, old, queued, sending = (log.name for log in committed_logs(message=self.message))
		with separate_connection():
			self.age(young, days=29)
			self.age(old, days=400)
			self.age(queued, days=400, status=QUEUED)
			self.age(sending, days=400, status=SENDING)

		with separate_connection():
			SMSLog.clear_old_logs(days=1)

		self.assertEqual({log.name for log in committed_logs(message=self.message)}, {young, queued, sending})
		with separate_connection():
			self.assertFalse(frappe.db.exists("SMS Log Recipient", {"parent": old}))

	def age(self, name: str, days: int, status: str | None = None):
		"""Make the log `days` days old and, with `status`, still going out; its day's totals follow."""
		before = frappe.db.get_value("SMS Log", name, daily_totals.COUNTED_FIELDS, as_dict=True)
		after = {"creation": add_days(now_datetime(), -days), "status": status or before.status}
		frappe.db.set_value("SMS Log", name, after, update_modified=False)
		daily_totals.move(before, {**before, "status": after["status"]})

	def test_log_settings_refuse_to_keep_sms_logs_less_than_30_days(self):
		frappe.db.after_rollback.add(lambda: frappe.clear_document_cache("Log Settings", "Log Settings"))
		for days in (0, 1, 29):
			with self.assertRaises(frappe.ValidationError):
				self.keep_sms_logs(days)
		self.keep_sms_logs(30)

	def keep_sms_logs(self, days: int):
		settings = frappe.get_doc("Log Settings")
		settings.logs_to_clear = [row for row in settings.logs_to_clear if row.ref_doctype != "SMS Log"]
		settings.append("logs_to_clear", {"ref_doctype": "SMS Log", "days": days})
		settings.save()

	def test_log_settings_keep_sms_logs_for_a_year_by_default(self):
		settings = frappe.get_doc("Log Settings")
		settings.logs_to_clear = [row for row in settings.logs_to_clear if row.ref_doctype != "SMS Log"]
		settings.save()
		self.assertIn(("SMS Log", 365), [(row.ref_doctype, row.days) for row in settings.logs_to_clear])


class TestDurability(SMSLogTestCase):
	"""An SMS cannot be taken back, so its log outlives whatever fails after it was sent."""

	def setUp(self):
		super().setUp()
		# A new Contact's SMS Notification texts its mobile; then another Notification fails, and with
		# it the insert, after the SMS went out. Notifications run newest first.
		self.sms_notification(self.message, name="fails", condition="not doc.phone_nos or 1 / 0")
		self.sms_notification(self.message)
		self.new_contact = self.contact(self.message[-10:], N1)
		self.auth = api_token("Administrator")

	def tearDown(self):
		frappe.db.rollback()
		frappe.db.delete("Notification", {"name": ("like", f"{self.message}%")})
		frappe.db.set_value("User", "Administrator", "api_key", None)
		frappe.db.commit()

	def contact_saved(self):
		frappe.db.rollback()
		return frappe.db.exists("Contact", {"first_name": self.message[-10:]})

	def test_a_failing_insert_in_a_request(self):
		with committed_sms_settings(self.gateway), served_site(workers=1) as site:
			response = site.request(
				"POST",
				"/api/resource/Contact",
				json=self.new_contact,
				headers=self.auth,
			)
		self.assertEqual(response.status_code, 417, response.text[:300])
		self.assertFalse(self.contact_saved())
		self.assertEqual(self.the_log().sent_to, N1)

	def test_a_failing_background_job(self):
		with committed_sms_settings(self.gateway):
			job = frappe.enqueue("frappe.client.insert", queue="short", doc=self.new_contact)
			frappe.db.commit()
			run_jobs(job)
		self.assertEqual(job.get_status(refresh=True), "failed")
		self.assertFalse(self.contact_saved())
		self.assertEqual(self.the_log().sent_to, N1)


class TestLogConnection(SMSLogTestCase):
	"""Logs are written on a connection the process keeps, and replaced when the server drops it."""

	def connection_id(self):
		with separate_connection():
			return frappe.db.sql("select connection_id()")[0][0]

	def test_kept_between_logs_and_replaced_when_lost(self):
		sending.send_and_log([N1], self.message)
		kept = self.connection_id()
		sending.send_and_log([N1], self.message)
		self.assertEqual(self.connection_id(), kept)

		frappe.db.sql(f"kill {kept}")  # as a server restart or an idle timeout would
		name = sending.send_and_log([N2], self.message)

		self.assertNotEqual(self.connection_id(), kept)
		with separate_connection():
			self.assertEqual(frappe.db.get_value("SMS Log", name, "sent_to"), N2)
