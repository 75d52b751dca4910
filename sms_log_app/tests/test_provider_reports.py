"""Delivery reports in a provider's own format (Report Format: Provider), over real HTTP to the served
site: Infobip's `results[]`, many reports in one call, each matched to its row by message id and
number; Twilio's early reports, kept and applied as the send records their message ids; and the kept
reports' upkeep by Log Settings."""

import frappe
import requests
from frappe.core.doctype.log_settings.log_settings import _supports_log_clearing
from frappe.core.doctype.sms_settings import sms_settings
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, now_datetime

from sms_log_app.delivery import Report
from sms_log_app.delivery_reports import apply_waiting_reports, keep_report, rotate_secret
from sms_log_app.sms_log_app.doctype.sms_delivery_report.sms_delivery_report import SMSDeliveryReport
from sms_log_app.status import QUEUED, SENDING
from sms_log_app.tests.utils import (
	N1,
	N2,
	N3,
	RECEIVE,
	ProviderTestCase,
	chunk_jobs,
	committed_logs,
	committed_status,
	forget_account_refusals,
	run_jobs,
	served_site,
	set_limits,
	set_site_country,
	wait_until,
)


class TestProviderReports(ProviderTestCase):
	provider = "Infobip"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		before = frappe.get_doc("SMS Log Settings").delivery_report_preset
		cls.addClassCleanup(cls.restore_format, before or "Generic")
		settings = frappe.get_doc("SMS Log Settings")
		settings.delivery_report_preset = "Provider"
		settings.save()
		cls.secret = rotate_secret().rsplit("secret=", 1)[1]
		frappe.db.commit()
		served = served_site()
		cls.client = served.__enter__()
		cls.addClassCleanup(served.__exit__, None, None, None)

	@classmethod
	def restore_format(cls, before):
		settings = frappe.get_doc("SMS Log Settings")
		settings.delivery_report_preset = before
		settings.delivery_report_secret = None
		settings.save()
		frappe.db.commit()

	def setUp(self):
		self.stub.reset()
		set_site_country()
		self.message = f"Provider report test {frappe.generate_hash(length=10)}"
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.db.delete, "SMS Delivery Report", {"message_id": "not-ours"})
		self.addCleanup(forget_account_refusals, self.message)
		self.addCleanup(frappe.db.rollback)

	def report(self, payload) -> requests.Response:
		return requests.post(
			self.client.url + RECEIVE,
			params={"secret": self.secret},
			json=payload,
			headers={"Host": self.client.site},
			timeout=30,
		)

	def test_infobip_reports_many_in_one_call(self):
		sms_settings.send_sms([N1, N2, N3], self.message, success_msg=False)
		(log,) = committed_logs(message=self.message)
		self.assertEqual(len(self.stub.requests), 1, "one request for the three numbers")
		ids = {row.number: row.message_id for row in log.recipients}

		def result(number, group, name, error=None):
			return {
				"messageId": ids[number],
				"to": number.lstrip("+"),
				"status": {"groupName": group, "name": name},
				"doneAt": "2026-12-06T09:30:00.000+0000",
				"error": {"name": error or "NO_ERROR"},
			}

		response = self.report(
			{
				"results": [
					result(N1, "DELIVERED", "DELIVERED_TO_HANDSET"),
					result(N2, "UNDELIVERABLE", "UNDELIVERABLE_NOT_DELIVERED", "EC_ABSENT_SUBSCRIBER"),
					{**result(N3, "DELIVERED", "DELIVERED_TO_HANDSET"), "messageId": "not-ours"},
				]
			}
		)
		self.assertEqual(response.status_code, 200, response.text)
		self.assertEqual(response.json()["message"]["unknown"], 1)
		first, second, third = committed_logs(message=self.message)[0].recipients
		self.assertEqual(first.delivery_status, "Delivered")
		self.assertEqual(
			(second.delivery_status, second.delivery_error), ("Undelivered", "EC_ABSENT_SUBSCRIBER")
		)
		self.assertFalse(third.delivery_status)


class TestReportsBeforeTheirSend(ProviderTestCase):
	provider = "Twilio"
	"""Twilio calls its StatusCallback with *sent* within seconds, which may be before the send has
	recorded the message id: the report is kept (SMS Delivery Report) and applied once its row is known."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		before = frappe.get_doc("SMS Log Settings").delivery_report_preset
		cls.addClassCleanup(TestProviderReports.restore_format, before or "Generic")
		settings = frappe.get_doc("SMS Log Settings")
		settings.delivery_report_preset = "Twilio"
		settings.save()
		cls.secret = rotate_secret().rsplit("secret=", 1)[1]
		frappe.db.commit()
		served = served_site()
		cls.client = served.__enter__()
		cls.addClassCleanup(served.__exit__, None, None, None)

	def setUp(self):
		self.stub.reset()
		set_site_country()
		self.message = f"Early report test {frappe.generate_hash(length=10)}"
		self.addCleanup(forget_account_refusals, self.message)
		self.addCleanup(frappe.db.rollback)

	def report(self, payload) -> requests.Response:
		return requests.post(
			self.client.url + RECEIVE,
			params={"secret": self.secret},
			data=payload,
			headers={"Host": self.client.site},
			timeout=30,
		)

	def forget(self, message_ids):
		frappe.db.delete("SMS Delivery Report", {"message_id": ("in", message_ids)})
		frappe.db.commit()

	def test_a_sent_callback_before_the_send_recorded_its_id_is_applied_as_the_send_records_it(self):
		early = []

		def status_callback(request, body):
			"""Twilio's quick callback, answered before the stub's answer reaches the send."""
			early.append(self.report({"MessageSid": body["sid"], "MessageStatus": "sent", "To": body["to"]}))

		self.stub.on_answer = status_callback
		sms_settings.send_sms([N1], self.message, success_msg=False)  # no scheduler runs in tests
		((response,),) = (early,)
		(log,) = committed_logs(message=self.message)
		sid = log.recipients[0].message_id
		self.addCleanup(self.forget, [sid, "SM-not-ours"])
		self.assertEqual(response.status_code, 202, response.text)  # kept Unmatched as it came
		self.assertEqual(log.recipients[0].delivery_status, "Pending", "applied as the send recorded the id")
		frappe.db.rollback()  # see what the served site committed
		kept = frappe.get_doc("SMS Delivery Report", response.json()["message"]["kept"])
		self.assertEqual(
			(kept.status, kept.message_id, kept.provider_status, kept.sms_log),
			("Applied", sid, "sent", log.name),
		)
		stray = self.report({"MessageSid": "SM-not-ours", "MessageStatus": "delivered", "To": N2})
		self.assertEqual(stray.status_code, 202, stray.text)

		apply_waiting_reports()  # the scheduler's backstop, each minute

		frappe.db.rollback()
		self.assertEqual(
			frappe.db.get_value("SMS Delivery Report", {"message_id": "SM-not-ours"}, "status"),
			"Unmatched",
			"a report no send knows is kept and shown, never dropped",
		)
		late = self.report({"MessageSid": sid, "MessageStatus": "delivered", "To": N1})
		self.assertEqual(late.status_code, 200, late.text)
		(log,) = committed_logs(message=self.message)
		self.assertEqual(log.recipients[0].delivery_status, "Delivered")
		frappe.db.rollback()
		self.assertEqual(
			frappe.get_all("SMS Delivery Report", {"message_id": sid}, pluck="status", order_by="creation"),
			["Applied", "Applied"],
		)

	def test_a_bulk_sends_early_callbacks_are_applied_as_each_batch_is_recorded(self):
		set_limits(queue_threshold=2, recipients_per_job=10, parallel_requests=1)
		frappe.db.commit()  # the worker reads them
		self.addCleanup(frappe.db.commit)
		self.addCleanup(set_limits)
		early = []
		self.stub.on_answer = lambda request, body: early.append(
			self.report({"MessageSid": body["sid"], "MessageStatus": "sent", "To": body["to"]})
		)
		sms_settings.send_sms([N1, N2, N3], self.message, success_msg=False)
		(log,) = committed_logs(message=self.message)
		self.assertEqual(log.status, QUEUED)
		run_jobs(*chunk_jobs(log.name), queue="long")
		wait_until(lambda: committed_status(log.name) not in (QUEUED, SENDING))

		(log,) = committed_logs(message=self.message)
		rows = log.recipients
		self.addCleanup(self.forget, [r.message_id for r in rows])
		self.assertEqual([r.status_code for r in early], [202] * 3, "each kept before its row knew its id")
		self.assertEqual([r.delivery_status for r in rows], ["Pending"] * 3, "applied by the batch's record")

	def test_the_scheduler_applies_a_kept_report_whose_row_became_known(self):
		sms_settings.send_sms([N1], self.message, success_msg=False)
		(log,) = committed_logs(message=self.message)
		sid = log.recipients[0].message_id
		self.addCleanup(self.forget, [sid])
		# a report kept Unmatched that the send's own step did not meet (its row was recorded first)
		report = Report(sid, N1, "Delivered", "delivered", time=None, error=None)
		kept = keep_report(report, {"MessageSid": sid}, None)
		frappe.db.commit()

		apply_waiting_reports()

		(log,) = committed_logs(message=self.message)
		self.assertEqual(log.recipients[0].delivery_status, "Delivered")
		self.assertEqual(frappe.db.get_value("SMS Delivery Report", kept, "status"), "Applied")


class TestKeptReportsUpkeep(FrappeTestCase):
	def test_log_settings_clear_applied_reports_after_their_days_and_unmatched_ones_after_twice(self):
		self.assertTrue(_supports_log_clearing("SMS Delivery Report"))
		log_settings = frappe.get_doc("Log Settings")  # as its daily clean-up takes the app's defaults
		log_settings.set("logs_to_clear", [])
		log_settings.add_default_logtypes()
		self.assertIn(
			("SMS Delivery Report", 90), {(r.ref_doctype, r.days) for r in log_settings.logs_to_clear}
		)
		kept = {}
		for status, days_ago in (("Applied", 91), ("Applied", 89), ("Unmatched", 91), ("Unmatched", 181)):
			report = Report(
				f"upkeep-{status}-{days_ago}", N1, "Delivered", "delivered", time=None, error=None
			)
			name = keep_report(report, {}, frappe._dict(parent="SMS-UPKEEP") if status == "Applied" else None)
			frappe.db.set_value("SMS Delivery Report", name, "creation", add_days(now_datetime(), -days_ago))
			kept[(status, days_ago)] = name
		self.addCleanup(frappe.db.delete, "SMS Delivery Report", {"name": ("in", list(kept.values()))})

		SMSDeliveryReport.clear_old_logs(days=90)

		left = set(frappe.get_all("SMS Delivery Report", {"name": ("in", list(kept.values()))}, pluck="name"))
		self.assertEqual(
			{key for key, name in kept.items() if name in left}, {("Applied", 89), ("Unmatched", 91)}
		)
