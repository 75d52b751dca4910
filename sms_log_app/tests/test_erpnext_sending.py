"""ERPNext's own ways of sending SMS, over real HTTP of an ERPNext site served by gunicorn: SMS Center,
and the "Send SMS" of a transaction, within the rules of who may send."""

import json
import unittest
from urllib.parse import quote

import frappe
from frappe.utils import add_to_date, now_datetime

from sms_log_app.tests.utils import ServedSiteTestCase, committed_logs, committed_send_settings, delete_logs

CANCEL = "/api/method/sms_log_app.scheduled_sends.cancel_send"


class TestERPNextSending(ServedSiteTestCase):
	@classmethod
	def setUpClass(cls):
		if "erpnext" not in frappe.get_installed_apps():
			raise unittest.SkipTest("runs on a site with ERPNext (the ERPNext layer of .ci/run)")
		super().setUpClass()

	def sms_center(self, message, receivers, **fields):
		"""Press Send SMS in SMS Center, as its form does."""
		doc = frappe.get_doc("SMS Center").as_dict() | {"message": message, "receiver_list": receivers}
		doc |= fields
		return self.request(
			"System Manager",
			"POST",
			"/api/method/run_doc_method",
			data={"docs": frappe.as_json(doc), "method": "send_sms"},
		)

	def test_sms_center_is_logged_with_each_recipient(self):
		self.gateway.behaviours["+966500000002"] = "reject"
		message = f"API test SMS Center {frappe.generate_hash(length=8)}"

		response = self.sms_center(message, "Ahmad - +966500000001\nSara - +966500000002")

		self.assertEqual(response.status_code, 200, response.text)
		(log,) = committed_logs(message=message)
		self.assertEqual((log.status, log.noofrequested_sms, log.noofsent_sms), ("Partially Sent", 2, 1))
		self.assertEqual((log.no_of_requested_sms, log.no_of_sent_sms), (2, 1))
		self.assertEqual(log.sender_name, "sms-log-manager")
		self.assertEqual([r.status for r in log.recipients], ["Sent", "Failed"])

	def test_sms_center_sends_promotional_unless_told_otherwise(self):
		promotional, transactional = (f"API test class {frappe.generate_hash(length=8)}" for _ in range(2))
		self.assertEqual(frappe.get_meta("SMS Center").get_field("sms_message_class").default, "Promotional")
		self.assertEqual(frappe.get_doc("SMS Center").sms_message_class, "Promotional", "as the form opens")
		self.assertEqual(self.sms_center(promotional, "+966500000006").status_code, 200)
		response = self.sms_center(transactional, "+966500000006", sms_message_class="Transactional")
		self.assertEqual(response.status_code, 200)
		self.assertEqual(committed_logs(message=promotional)[0].message_class, "Promotional")
		self.assertEqual(committed_logs(message=transactional)[0].message_class, "Transactional")

	def test_sms_center_schedules_its_send_for_send_at_and_the_sender_cancels_it_by_post(self):
		message = f"API test Send At {frappe.generate_hash(length=8)}"
		self.addCleanup(delete_logs, message=message)
		later = add_to_date(now_datetime(), hours=3).replace(microsecond=0)
		self.assertEqual(frappe.get_meta("SMS Center").get_field("sms_send_after").fieldtype, "Datetime")

		response = self.sms_center(
			message, "+966500000007", sms_message_class="Transactional", sms_send_after=str(later)
		)

		self.assertEqual(response.status_code, 200, response.text)
		(log,) = committed_logs(message=message)
		self.assertEqual(
			(log.status, log.scheduled_for, log.recipients[0].status), ("Scheduled", later, "Queued")
		)
		self.assertEqual(self.gateway.received_numbers().count("+966500000007"), 0)
		# a link cannot cancel it: POST only
		self.assertEqual(
			self.request("System Manager", "GET", CANCEL, params={"log_name": log.name}).status_code, 403
		)
		self.assertEqual(
			self.request("System Manager", "POST", CANCEL, data={"log_name": log.name}).status_code, 200
		)
		(log,) = committed_logs(message=message)
		self.assertEqual((log.status, log.cancelled_by), ("Cancelled", log.owner))

	def test_sms_center_keeps_working_for_the_listed_roles_only(self):
		listed, other = f"API test listed {frappe.generate_hash(length=8)}", "API test refused"
		with committed_send_settings(roles=["System Manager"]):
			self.assertEqual(self.sms_center(listed, "+966500000003").status_code, 200)
		with committed_send_settings(roles=["Accounts User"]):
			received = len(self.gateway.requests)
			self.assertEqual(self.sms_center(other, "+966500000004").status_code, 403)
			self.assertEqual(len(self.gateway.requests), received, "nothing reached the gateway")
		self.assertEqual(len(committed_logs(message=listed)), 1)
		self.assertEqual(committed_logs(message=other), [])

	def test_send_sms_of_a_customer_records_the_customer(self):
		customer = frappe.get_doc(
			{"doctype": "Customer", "customer_name": f"SMS Log {frappe.generate_hash(length=6)}"}
		).insert()
		frappe.db.commit()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.delete_doc, "Customer", customer.name, force=True)
		message = f"API test Send SMS {frappe.generate_hash(length=8)}"

		# erpnext/public/js/sms_manager.js: the numbers and the text, from the document's form (as a
		# user who may read Customers: the reference is recorded only for them)
		response = self.request(
			"Administrator",
			"POST",
			"/api/method/frappe.core.doctype.sms_settings.sms_settings.send_sms",
			data={"receiver_list": json.dumps(["0500000005"]), "msg": message},
			headers={"Referer": f"{self.client.url}/app/customer/{quote(customer.name)}"},
		)

		self.assertEqual(response.status_code, 200, response.text)
		(log,) = committed_logs(message=message)
		self.assertEqual((log.reference_doctype, log.reference_name), ("Customer", customer.name))
