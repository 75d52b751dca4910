# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

"""Delivery reports sent by the gateway stub over real HTTP to the served site, and resending."""

from contextlib import ExitStack

import frappe
from frappe.core.doctype.sms_settings import sms_settings

from sms_log_app import resend
from sms_log_app.delivery_reports import report_counter_key, rotate_secret
from sms_log_app.tests.utils import (
	RECEIVE,
	GatewayTestCase,
	committed_logs,
	committed_sms_settings,
	delete_logs,
	served_site,
)

N1, N2, N3 = "+966500000001", "+966500000002", "+966500000003"


class TestDeliveryReports(GatewayTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		resources = ExitStack()
		cls.addClassCleanup(resources.close)
		resources.enter_context(committed_sms_settings(cls.gateway))
		cls.addClassCleanup(cls.restore_settings, frappe.get_doc("SMS Log Settings").as_dict())

		settings = frappe.get_doc("SMS Log Settings")
		settings.update({"message_id_source": "JSON Path", "message_id_pattern": "message_id"})
		settings.update({"delivery_report_preset": "Generic", "delivery_reports_per_minute": 600})
		settings.messages_per_second = 0  # or the report limit grows with the bulk speed
		settings.save()
		cls.secret = rotate_secret().rsplit("secret=", 1)[1]
		frappe.db.commit()
		cls.client = resources.enter_context(served_site())

	@classmethod
	def restore_settings(cls, before):
		settings = frappe.get_doc("SMS Log Settings")
		settings.update({k: before.get(k) for k in ("message_id_source", "message_id_pattern")})
		settings.delivery_report_preset = before.delivery_report_preset or "Generic"
		settings.delivery_reports_per_minute = before.delivery_reports_per_minute or 600
		settings.messages_per_second = before.messages_per_second
		settings.delivery_report_secret = None
		settings.save()
		frappe.db.commit()

	def setUp(self):
		self.gateway.behaviours.clear()
		self.message = f"Delivery test {frappe.generate_hash(length=10)}"
		self.addCleanup(delete_logs, message=("like", f"{self.message}%"))
		self.addCleanup(frappe.db.rollback)
		# each test starts with a fresh rate limit window
		frappe.cache.delete(report_counter_key("127.0.0.1"))

	def send(self, numbers):
		sms_settings.send_sms(numbers, self.message)
		(log,) = committed_logs(message=self.message)
		return log

	def report(self, payload, secret=True, method="POST", **kwargs):
		"""The gateway stub calls the site's delivery report URL."""
		params = {"secret": self.secret} if secret is True else ({"secret": secret} if secret else {})
		if method == "GET":
			params.update(payload)
		else:
			kwargs.setdefault("data", payload)
		return self.gateway.call_back(
			self.client.url + RECEIVE,
			method=method,
			params=params,
			headers={"Host": self.client.site},
			**kwargs,
		)

	def reload(self, log):
		return committed_logs(name=log.name)[0]

	def test_delivered_undelivered_and_silent_recipients_then_resend(self):
		log = self.send([N1, N2, N3])
		self.assertEqual(
			[r.message_id for r in log.recipients], [self.gateway.message_id(n) for n in (N1, N2, N3)]
		)

		delivered = self.report(
			{
				"message_id": self.gateway.message_id(N1),
				"status": "delivered",
				"timestamp": "2026-11-27T09:30:00Z",
			}
		)
		undelivered = self.report(
			{"message_id": self.gateway.message_id(N2), "status": "undelivered", "error_code": "30003"}
		)

		self.assertEqual((delivered.status_code, undelivered.status_code), (200, 200), undelivered.text)
		log = self.reload(log)
		self.assertEqual(log.status, "Partially Delivered")
		first, second, third = log.recipients
		self.assertEqual(first.delivery_status, "Delivered")
		self.assertIsNotNone(first.delivered_at)
		self.assertEqual((second.delivery_status, second.delivery_error), ("Undelivered", "30003"))
		self.assertFalse(third.delivery_status)
		self.assertEqual((log.message, log.requested_numbers), (self.message, f"{N1}\n{N2}\n{N3}"))

		frappe.db.rollback()  # see what the served site committed
		versions = frappe.get_all("Version", {"ref_doctype": "SMS Log", "docname": log.name}, pluck="data")
		self.assertEqual(len(versions), 2, "each report is in the log's history")
		self.assertIn("Partially Delivered", "".join(versions))

		self.gateway.requests.clear()
		(new_log,) = committed_logs(name=resend.resend(log.name))
		self.assertEqual(self.gateway.received_numbers(), [N2])
		self.assertEqual(
			(new_log.resent_from, new_log.sent_to, new_log.message), (log.name, N2, self.message)
		)
		self.assertEqual([resent.name for resent in committed_logs(resent_from=log.name)], [new_log.name])

	def test_all_delivered_rolls_up_to_delivered(self):
		log = self.send([N1, N2])
		for number in (N1, N2):
			self.report({"message_id": self.gateway.message_id(number), "status": "DELIVRD"})
		self.assertEqual(self.reload(log).status, "Delivered")

	def test_duplicate_and_late_reports_never_downgrade_delivered(self):
		log = self.send([N1])
		message_id = self.gateway.message_id(N1)
		self.assertTrue(
			self.report({"message_id": message_id, "status": "delivered"}).json()["message"]["changed"]
		)
		for status in ("delivered", "sent", "queued", "failed"):
			with self.subTest(status=status):
				response = self.report({"message_id": message_id, "status": status})
				self.assertEqual(response.status_code, 200)
				self.assertFalse(response.json()["message"]["changed"])
		log = self.reload(log)
		self.assertEqual((log.status, log.recipients[0].delivery_status), ("Delivered", "Delivered"))

	def test_pending_then_final(self):
		log = self.send([N1])
		message_id = self.gateway.message_id(N1)
		self.report({"message_id": message_id, "status": "sent"})
		self.assertEqual(self.reload(log).recipients[0].delivery_status, "Pending")
		self.report({"message_id": message_id, "status": "expired"})
		log = self.reload(log)
		self.assertEqual((log.status, log.recipients[0].delivery_status), ("Undelivered", "Expired"))

	def test_json_body_and_get(self):
		log = self.send([N1, N2])
		as_json = self.report(
			{}, json={"message_id": self.gateway.message_id(N1), "status": "delivered"}, data=None
		)
		as_get = self.report({"message_id": self.gateway.message_id(N2), "status": "rejected"}, method="GET")
		self.assertEqual((as_json.status_code, as_get.status_code), (200, 200), as_json.text)
		self.assertTrue(as_get.json()["message"]["changed"], as_get.text)
		self.assertEqual([r.delivery_status for r in self.reload(log).recipients], ["Delivered", "Rejected"])

	def test_twilio_status_callback(self):
		frappe.db.set_single_value("SMS Log Settings", "delivery_report_preset", "Twilio")
		frappe.db.commit()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.db.set_single_value, "SMS Log Settings", "delivery_report_preset", "Generic")
		frappe.clear_document_cache("SMS Log Settings", "SMS Log Settings")
		log = self.send([N1])

		response = self.report(
			{
				"MessageSid": self.gateway.message_id(N1),
				"MessageStatus": "undelivered",
				"ErrorCode": "30005",
				"To": N1,
			}
		)

		self.assertEqual(response.status_code, 200, response.text)
		row = self.reload(log).recipients[0]
		self.assertEqual((row.delivery_status, row.delivery_error), ("Undelivered", "30005"))

	def test_unknown_message_id_is_202_and_kept_unmatched(self):
		response = self.report({"message_id": "msg-nobody-sent-this", "status": "delivered"})
		self.assertEqual(response.status_code, 202, response.text)
		self.assertFalse(response.json()["message"]["matched"])
		frappe.db.rollback()
		kept = frappe.get_doc("SMS Delivery Report", response.json()["message"]["kept"])
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.db.delete, "SMS Delivery Report", {"message_id": "msg-nobody-sent-this"})
		self.assertEqual((kept.status, kept.delivery_status), ("Unmatched", "Delivered"))
		self.assertIn("msg-nobody-sent-this", kept.payload)

	def test_wrong_or_missing_secret_is_403_and_changes_nothing(self):
		log = self.send([N1])
		payload = {"message_id": self.gateway.message_id(N1), "status": "delivered"}
		for secret in ("not-the-secret", None):
			with self.subTest(secret=secret):
				self.assertEqual(self.report(payload, secret=secret).status_code, 403)
		log = self.reload(log)
		self.assertEqual(log.status, "Sent")
		self.assertFalse(log.recipients[0].delivery_status)

	def test_a_flood_of_reports_is_rate_limited(self):
		frappe.db.set_single_value("SMS Log Settings", "delivery_reports_per_minute", 5)
		frappe.db.commit()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.db.set_single_value, "SMS Log Settings", "delivery_reports_per_minute", 600)
		frappe.clear_document_cache("SMS Log Settings", "SMS Log Settings")

		self.addCleanup(frappe.db.delete, "SMS Delivery Report", {"message_id": "msg-flood"})
		codes = [
			self.report({"message_id": "msg-flood", "status": "delivered"}).status_code for _ in range(8)
		]

		self.assertEqual(codes, [202] * 5 + [429] * 3)

	def test_the_rate_limit_grows_with_the_sites_bulk_speed(self):
		"""At 0.05 messages a second a minute of sending brings 3 SMS, up to 6 reports: more than 5."""
		rate = frappe.db.get_single_value("SMS Log Settings", "messages_per_second")
		frappe.db.set_single_value("SMS Log Settings", "delivery_reports_per_minute", 5)
		frappe.db.set_single_value("SMS Log Settings", "messages_per_second", 0.05)
		frappe.db.commit()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.db.set_single_value, "SMS Log Settings", "messages_per_second", rate)
		self.addCleanup(frappe.db.set_single_value, "SMS Log Settings", "delivery_reports_per_minute", 600)
		self.addCleanup(frappe.db.delete, "SMS Delivery Report", {"message_id": "msg-bulk"})
		frappe.clear_document_cache("SMS Log Settings", "SMS Log Settings")

		codes = [self.report({"message_id": "msg-bulk", "status": "delivered"}).status_code for _ in range(8)]

		self.assertEqual(codes, [202] * 6 + [429] * 2)

	def test_resend_with_nobody_left_is_refused(self):
		log = self.send([N1])
		self.report({"message_id": self.gateway.message_id(N1), "status": "delivered"})
		frappe.db.rollback()
		with self.assertRaises(frappe.ValidationError):
			resend.resend(log.name)
