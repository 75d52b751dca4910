# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

"""Write-ahead: no SMS reaches the gateway before its log and a row for its number are committed, on
every path; bad values never cost the log; and a send whose process dies is completed without
claiming what nobody knows."""

import json
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import frappe
import psutil
import pyotp
import requests
from frappe import twofactor
from frappe.core.doctype.sms_settings import sms_settings

from sms_log_app import bulk_send, delivery_reports, recovery, resend, send_input
from sms_log_app.delivery import Report
from sms_log_app.log_writer import separate_connection
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import InvalidMessageIdPattern
from sms_log_app.status import DELIVERED, FAILED, PARTIALLY_DELIVERED, QUEUED, SENDING, UNCONFIRMED
from sms_log_app.tests.utils import (
	SEND_SMS,
	SMSLogTestCase,
	WriteAheadAudit,
	api_token,
	committed_logs,
	committed_sms_settings,
	delete_logs,
	served_site,
	set_limits,
)

N1, N2, N3 = "+966500000011", "+966500000012", "+966500000013"


class WriteAheadTestCase(SMSLogTestCase):
	"""Each test sends a message of its own; the gateway stub audits every request it gets."""

	def setUp(self):
		super().setUp()
		self.gateway.delay = 0
		self.audit = WriteAheadAudit()
		self.gateway.on_request = self.audit

	def auth(self) -> dict:
		"""An API key of Administrator's, committed for the served site, and removed afterwards."""
		headers = api_token("Administrator")
		frappe.db.commit()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.db.set_value, "User", "Administrator", "api_key", None)
		return headers

	def assert_logged_first(self, requests: int):
		self.assertEqual(len(self.audit.checked), requests, "requests the stub audited")
		self.assertEqual(self.audit.violations, [], "numbers that reached the gateway before their log")


class TestEveryPathLogsFirst(WriteAheadTestCase):
	def test_send_sms(self):
		self.gateway.behaviours[N2] = "reject"
		sms_settings.send_sms([N1, N2, N3], self.message)
		self.assert_logged_first(3)
		self.assertEqual(self.the_log().status, "Partially Sent")

	def test_send_sms_over_http(self):
		auth = self.auth()
		with committed_sms_settings(self.gateway), served_site(workers=1) as site:
			response = site.request(
				"POST",
				SEND_SMS,
				json={"receiver_list": json.dumps([N1, N2]), "msg": self.message},
				headers=auth,
			)
		self.assertEqual(response.status_code, 200, response.text[:300])
		self.assert_logged_first(2)

	def test_notification(self):
		notification = self.sms_notification(self.message)
		frappe.get_doc(self.contact(self.message[-10:], N1)).insert()
		self.assert_logged_first(1)
		self.assertEqual(self.the_log().notification, notification.name)

	def test_otp(self):
		self.assertTrue(twofactor.send_token_via_sms(pyotp.random_base32(), token=3, phone_no=N3))
		self.assert_logged_first(1)
		otp_logs = committed_logs(sender_name="Two-Factor Authentication", requested_numbers=N3)
		self.addCleanup(delete_logs, name=("in", [log.name for log in otp_logs]))

	def test_send_request_called_directly(self):
		status = sms_settings.send_request(self.gateway.url, {"text": self.message, "to": N2})
		self.assertEqual(status, 200)
		self.assert_logged_first(1)

	def test_resend(self):
		self.gateway.behaviours[N2] = "reject"
		sms_settings.send_sms([N1, N2], self.message)
		self.gateway.behaviours.clear()
		frappe.db.commit()  # a fresh snapshot, as the next request has: the log came on another connection
		resend.resend(self.the_log().name)
		self.assert_logged_first(3)

	def test_bulk_send(self):
		set_limits(gateway_timeout=2, queue_threshold=3)
		sms_settings.send_sms([N1, N2, N3, "+966500000014", "+966500000015"], self.message)
		log = self.the_log()
		self.assertEqual(log.status, QUEUED)
		frappe.db.commit()  # the job reads the settings, as a worker would
		bulk_send.send_queued(log.name)
		self.assert_logged_first(5)
		self.assertEqual(self.the_log().noofsent_sms, 5)


class TestBadValuesNeverCostTheLog(WriteAheadTestCase):
	def test_over_http(self):
		long_number = "9" * 141
		cases = [
			# (what, receivers, message, sender name, HTTP status, numbers at the stub)
			("141-character sender name", [N1], self.message, "S" * 141, 200, [N1]),
			("141-character number", [long_number, N2], self.message, "", 200, [N2]),
			("one number three ways", [N3, "0500000013", "966500000013"], self.message, "", 200, [N3]),
			("11 SMS parts", [N1], f"{self.message} " + "x" * 1700, "", 417, []),
		]
		auth = self.auth()
		with committed_sms_settings(self.gateway), served_site(workers=1) as site:
			for what, receivers, message, sender_name, status, received in cases:
				with self.subTest(what):
					self.gateway.requests.clear()
					response = site.request(
						"POST",
						SEND_SMS,
						json={
							"receiver_list": json.dumps(receivers),
							"msg": message,
							"sender_name": sender_name,
						},
						headers=auth,
					)
					self.assertEqual(response.status_code, status, response.text[:300])
					self.assertEqual(self.gateway.received_numbers(), received)
		self.assertEqual(self.audit.violations, [])

		logs = {log.send_notes: log for log in committed_logs(message=self.message)}
		cut_sender = "Sender name cut to 140 of its 141 characters"
		cut_number = "A number of 141 characters was cut to 140"
		self.assertEqual(set(logs), {cut_sender, cut_number, f"Listed 3 times, sent once: {N3}"})
		self.assertEqual(logs[cut_sender].sender_name, "S" * 140)
		self.assertEqual(
			[(r.number, r.status) for r in logs[cut_number].recipients], [("9" * 140, FAILED), (N2, "Sent")]
		)
		self.assertEqual(logs[f"Listed 3 times, sent once: {N3}"].requested_numbers, N3)
		self.assertEqual(committed_logs(message=("like", f"{self.message} x%")), [], "a refused send's log")

	def test_a_message_too_large_to_record_is_refused(self):
		set_limits(gateway_timeout=2, max_parts_per_message=1000)
		with self.assertRaises(send_input.InvalidMessage):
			sms_settings.send_sms([N1], self.message + "ق" * 33_000)
		self.assertEqual(self.gateway.requests, [])

	def test_a_pattern_that_cannot_be_read_is_refused_on_save(self):
		for source, pattern in (("Regular Expression", "id: (\\w+"), ("JSON Path", "data..id")):
			with self.subTest(source):
				settings = frappe.get_doc("SMS Log Settings")
				settings.message_id_source, settings.message_id_pattern = source, pattern
				self.assertRaises(InvalidMessageIdPattern, settings.save)

	def test_an_id_that_cannot_be_read_costs_the_id_not_the_log(self):
		# a pattern stored before patterns were checked on save
		frappe.db.set_single_value(
			"SMS Log Settings", {"message_id_source": "Regular Expression", "message_id_pattern": "("}
		)
		frappe.clear_document_cache("SMS Log Settings", "SMS Log Settings")
		self.addCleanup(frappe.clear_document_cache, "SMS Log Settings", "SMS Log Settings")
		sms_settings.send_sms([N1], self.message)
		log = self.the_log()
		self.assertEqual((log.status, log.recipients[0].message_id), ("Sent", None))

	def test_a_delivery_report_on_a_queued_log_leaves_it_queued(self):
		set_limits(gateway_timeout=2, queue_threshold=2)
		sms_settings.send_sms([N1, N2, N3], self.message)
		log = self.the_log()
		first = log.recipients[0]
		with separate_connection():  # as if the job had sent the first row and been stopped
			frappe.db.set_value("SMS Log Recipient", first.name, {"status": "Sent", "message_id": "m-1"})
		with separate_connection():
			delivery_reports.apply_report(
				log.name, first.name, Report("m-1", N1, DELIVERED, "delivered", None, None)
			)
		self.assertEqual(self.the_log().status, QUEUED)

		frappe.db.commit()
		bulk_send.send_queued(log.name)
		log = self.the_log()
		self.assertEqual(log.status, PARTIALLY_DELIVERED)  # the report counts once the send completes
		self.assertEqual([r.status for r in log.recipients], ["Sent"] * 3)


class TestKilledMidSend(WriteAheadTestCase):
	def test_a_worker_killed_mid_send(self):
		numbers = [f"+9665000001{i:02d}" for i in range(10)]
		self.gateway.delay = 1  # each request takes a second
		auth = self.auth()
		with committed_sms_settings(self.gateway), served_site(workers=1) as site:
			answers = []

			def send():
				try:
					answers.append(
						site.request(
							"POST",
							SEND_SMS,
							json={"receiver_list": json.dumps(numbers), "msg": self.message},
							headers=auth,
						).status_code
					)
				except requests.RequestException as e:
					answers.append(type(e).__name__)

			caller = threading.Thread(target=send)
			caller.start()
			deadline = time.monotonic() + 60
			while len(self.gateway.requests) < 4 and time.monotonic() < deadline:
				time.sleep(0.05)
			for worker in psutil.Process(site.server.pid).children():
				worker.send_signal(signal.SIGKILL)
			caller.join(timeout=60)
			time.sleep(self.gateway.delay)  # the request in flight reaches its end at the stub

		received = self.gateway.received_numbers()
		self.assertEqual(len(received), 4, answers)
		self.assertNotEqual(answers, [200])
		self.assertEqual(self.audit.violations, [])
		log = self.the_log()
		self.assertEqual(log.status, SENDING)
		self.assertEqual([r.number for r in log.recipients], numbers, "every number is on the log")

		frappe.db.commit()  # a fresh snapshot, as the scheduler's job has
		recovery.finish_interrupted_sends(stalled_after=0)

		log = self.the_log()
		self.assertEqual((log.status, log.noofsent_sms), (UNCONFIRMED, 0))
		rows = [(r.number, r.status, r.error) for r in log.recipients]
		self.assertEqual(rows[:4], [(n, UNCONFIRMED, recovery.INTERRUPTED) for n in received])
		self.assertEqual(rows[4:], [(n, FAILED, recovery.NOT_TRIED) for n in numbers[4:]])

		self.gateway.delay = 0
		self.gateway.requests.clear()
		resend.resend(log.name)
		self.assertEqual(self.gateway.received_numbers(), numbers[4:], "the unknown rows are left out")
		self.gateway.requests.clear()
		frappe.db.commit()  # see the first resend's log
		resend.resend(log.name, include_unconfirmed=True)  # a person ticked them
		self.assertEqual(self.gateway.received_numbers(), received)
		self.assertEqual(self.audit.violations, [])


class TestThreadedWorkers(WriteAheadTestCase):
	"""A threaded web worker (gunicorn gthread) serves several sends at once: each writes its log on a
	connection of its own thread."""

	numbers = tuple(f"+9665000020{i:02d}" for i in range(40))

	def send_all_at_once(self, site, auth) -> list:
		def send(number):
			try:
				return site.request(
					"POST",
					SEND_SMS,
					json={"receiver_list": json.dumps([number]), "msg": self.message},
					headers=auth,
				).status_code
			except requests.RequestException as e:
				return type(e).__name__

		with ThreadPoolExecutor(max_workers=len(self.numbers)) as pool:
			return list(pool.map(send, self.numbers))

	def logged_numbers(self) -> list[str]:
		"""The numbers of this test's recipient rows, each on a log that exists."""
		with separate_connection():
			return frappe.db.sql_list(
				"""select r.number from `tabSMS Log Recipient` r join `tabSMS Log` l on l.name = r.parent
				where l.message = %s""",
				self.message,
			)

	def orphan_rows(self) -> list[str]:
		with separate_connection():
			return frappe.db.sql_list(
				"""select r.number from `tabSMS Log Recipient` r left join `tabSMS Log` l
				on l.name = r.parent where l.name is null and r.number in %s""",
				[list(self.numbers)],
			)

	def test_forty_sends_on_eight_threads(self):
		self.gateway.delay = 0.05
		auth = self.auth()
		with committed_sms_settings(self.gateway), served_site(workers=1, threads=8) as site:
			answers = self.send_all_at_once(site, auth)

		self.assertEqual(answers, [200] * len(self.numbers))
		logs = committed_logs(message=self.message)
		self.assertEqual(len(logs), len(self.numbers))
		self.assertEqual({log.status for log in logs}, {"Sent"})
		self.assertEqual({r.status for log in logs for r in log.recipients}, {"Sent"})
		self.assertEqual(sorted(self.logged_numbers()), sorted(self.numbers))
		self.assertEqual(self.orphan_rows(), [])
		self.assertEqual(sorted(self.gateway.received_numbers()), sorted(self.numbers))
		self.assertEqual(self.audit.violations, [])

	def test_a_threaded_worker_killed_mid_way(self):
		self.gateway.delay = 0.2
		auth = self.auth()
		with committed_sms_settings(self.gateway), served_site(workers=1, threads=8) as site:
			sending = threading.Thread(target=self.send_all_at_once, args=(site, auth))
			sending.start()
			deadline = time.monotonic() + 60
			while len(self.gateway.requests) < 12 and time.monotonic() < deadline:
				time.sleep(0.02)
			for worker in psutil.Process(site.server.pid).children():
				worker.send_signal(signal.SIGKILL)
			sending.join(timeout=120)
			time.sleep(self.gateway.delay)  # the requests in flight reach their end at the stub

		received = self.gateway.received_numbers()
		self.assertGreaterEqual(len(received), 12)
		self.assertEqual(sorted(set(received) - set(self.logged_numbers())), [], "numbers sent without a log")
		self.assertEqual(self.orphan_rows(), [])
		self.assertEqual(self.audit.violations, [])
