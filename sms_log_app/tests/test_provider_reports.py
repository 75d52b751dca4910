"""Delivery reports in a provider's own format (Report Format: Provider), over real HTTP to the served
site: Infobip's `results[]`, many reports in one call, each matched to its row by message id and
number."""

import contextlib

import frappe
import requests
from frappe.core.doctype.sms_settings import sms_settings
from frappe.tests.utils import FrappeTestCase

from sms_log_app.delivery_reports import rotate_secret
from sms_log_app.tests.provider_stubs import ProviderStub
from sms_log_app.tests.test_account_refusals import committed_provider, forget_account_refusals
from sms_log_app.tests.utils import N1, N2, N3, RECEIVE, committed_logs, served_site, set_site_country


class TestProviderReports(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.stub = ProviderStub("Infobip").start()
		cls.addClassCleanup(cls.stub.stop)
		resources = contextlib.ExitStack()
		cls.addClassCleanup(resources.close)
		resources.enter_context(committed_provider(cls.stub))
		before = frappe.get_doc("SMS Log Settings").delivery_report_preset
		cls.addClassCleanup(cls.restore_format, before or "Generic")
		settings = frappe.get_doc("SMS Log Settings")
		settings.delivery_report_preset = "Provider"
		settings.save()
		cls.secret = rotate_secret().rsplit("secret=", 1)[1]
		frappe.db.commit()
		cls.client = resources.enter_context(served_site())

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
