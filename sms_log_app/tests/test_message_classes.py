"""Every SMS Log has a class: OTP from the capture, Transactional by default, Promotional where a
Notification or server code says so."""

import json

import frappe
import pyotp
from frappe import twofactor

from sms_log_app.log_writer import separate_connection
from sms_log_app.references import InvalidMessageClass, message_class
from sms_log_app.resend import resend
from sms_log_app.tests.utils import (
	SEND_SMS,
	SMSLogTestCase,
	api_token,
	committed_logs,
	committed_sms_settings,
	served_site,
)

N1, N2 = "+966500000021", "+966500000022"


class TestMessageClasses(SMSLogTestCase):
	def test_server_code_sends_transactional_by_default(self):
		self.send([N1, N2])
		self.assertEqual(self.the_log().message_class, "Transactional")

	def test_server_code_sets_promotional(self):
		with message_class("Promotional"):
			self.send([N1, N2])
		self.send([N1], f"{self.message} after the block")
		self.assertEqual(self.the_log().message_class, "Promotional")
		self.assertEqual(self.the_log(f"{self.message} after the block").message_class, "Transactional")

	def test_an_unknown_class_is_refused(self):
		with self.assertRaises(InvalidMessageClass):
			with message_class("Marketing"):
				self.send([N1])
		self.assertEqual(committed_logs(message=self.message), [])

	def test_otp_is_classed_by_the_capture(self):
		self.assertTrue(twofactor.send_token_via_sms(pyotp.random_base32(), token=7, phone_no=N1))
		with separate_connection():
			(log,) = frappe.get_all(
				"SMS Log",
				filters={"requested_numbers": N1, "sender_name": "Two-Factor Authentication"},
				fields=["name", "message_class"],
				order_by="creation desc",
				limit=1,
			)
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.delete_doc, "SMS Log", log.name, force=True)
		self.assertEqual(log.message_class, "OTP")

	def test_a_notification_is_transactional_unless_set_promotional(self):
		self.sms_notification(self.message)
		frappe.get_doc(self.contact(self.message[-10:], N1)).insert()
		self.assertEqual(self.the_log().message_class, "Transactional")

	def test_a_promotional_notification(self):
		notification = self.sms_notification(self.message)
		notification.db_set("sms_message_class", "Promotional")
		frappe.get_doc(self.contact(self.message[-10:], N1)).insert()
		log = self.the_log()
		self.assertEqual((log.message_class, log.notification), ("Promotional", notification.name))

	def test_a_resend_keeps_the_class(self):
		self.gateway.behaviours[N2] = "reject"
		with message_class("Promotional"):
			self.send([N1, N2])
		self.gateway.behaviours.clear()
		original = self.the_log()
		frappe.db.rollback()  # a fresh snapshot, which has the log
		(resent,) = committed_logs(name=resend(original.name))
		self.assertEqual(resent.message_class, "Promotional")

	def test_a_desk_dialog_passes_the_class(self):
		"""As the Send SMS dialog does (send_sms_dialog.js); the OTP class is not the sender's to claim."""
		headers = api_token("Administrator")
		frappe.db.commit()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.db.set_value, "User", "Administrator", "api_key", None)
		with committed_sms_settings(self.gateway), served_site(workers=1) as site:
			sent = site.request(
				"POST",
				SEND_SMS,
				json={"receiver_list": json.dumps([N1]), "msg": self.message, "message_class": "Promotional"},
				headers=headers,
			)
			claimed = site.request(
				"POST",
				SEND_SMS,
				json={
					"receiver_list": json.dumps([N2]),
					"msg": f"{self.message} OTP",
					"message_class": "OTP",
				},
				headers=headers,
			)
		self.assertEqual(sent.status_code, 200, sent.text[:300])
		self.assertEqual(self.the_log().message_class, "Promotional")
		self.assertEqual(claimed.status_code, 417, claimed.text[:300])
		self.assertEqual(committed_logs(message=f"{self.message} OTP"), [])
