# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

"""The SMS history on form timelines: a document's, and a person's by their phone numbers."""

import random
from urllib.parse import quote

import frappe
from frappe.desk.form.load import getdoc

from sms_log_app import references, sending
from sms_log_app.delivery import Report
from sms_log_app.delivery_reports import apply_report
from sms_log_app.tests.utils import SMSLogTestCase, as_plain_user, committed_logs
from sms_log_app.timeline import SHOWN

ENTRY = "sms-log-timeline-entry"
MORE = "sms-log-timeline-more"


def timeline(doctype: str, name: str) -> list[dict]:
	"""The additional timeline content Desk receives when it opens the form, as the session user."""
	return docinfo(doctype, name).additional_timeline_content


def docinfo(doctype: str, name: str) -> dict:
	frappe.local.response = frappe._dict({"docs": []})
	getdoc(doctype, name)
	return frappe.response.docinfo


def sms_entries(entries: list[dict]) -> list[str]:
	return [e["content"] for e in entries if ENTRY in e["content"]]


class TimelineTestCase(SMSLogTestCase):
	def setUp(self):
		# The capture commits each log on a connection of its own. Reading with READ COMMITTED, the
		# test's transaction sees those logs beside its own uncommitted documents, which it rolls back.
		frappe.db.sql("set session transaction isolation level read committed")
		self.addCleanup(frappe.db.sql, "set session transaction isolation level repeatable read")
		frappe.db.rollback()
		super().setUp()
		subscriber = f"55{random.randrange(10**7):07d}"
		self.local_number, self.e164 = "0" + subscriber, "+966" + subscriber

	def contact(self, first_name, mobile):
		return frappe.get_doc(super().contact(first_name, mobile)).insert()

	def todo(self, description="Call the customer back"):
		return frappe.get_doc({"doctype": "ToDo", "description": description}).insert()

	def log_named(self, message=None) -> str:
		return self.the_log(message).name


class TestDocumentTimeline(TimelineTestCase):
	def test_notification_sms_shows_on_its_documents_timeline(self):
		frappe.db.set_value("User", "Administrator", "mobile_no", self.local_number)
		other = self.todo("Nothing was sent for this one")
		self.todo_notification(self.message + " about {{ doc.description }}")
		todo = self.todo("Invoice 7731 is due")

		name = self.log_named(self.message + " about Invoice 7731 is due")
		(entry,) = sms_entries(timeline("ToDo", todo.name))
		self.assertIn(f'href="/app/sms-log/{name}"', entry)
		self.assertIn(self.message + " about Invoice 7731 is due", entry)
		self.assertIn("<strong><bdi>Administrator</bdi></strong>", entry)
		self.assertIn(self.local_number, entry)
		self.assertIn(">Sent</span>", entry)
		self.assertEqual(sms_entries(timeline("ToDo", other.name)), [])

	def test_each_recipients_outcome_and_the_message_as_text(self):
		hostile = f"<img src=x onerror=alert(1)> {self.message} <script>alert(2)</script>"
		self.gateway.behaviours["+966511111111"] = "reject"
		todo = self.todo()
		with references.reference("ToDo", todo.name):
			sending.send_and_log([self.local_number, "+966511111111", "+966500000002"], hostile)
		log = committed_logs(message=hostile)[0]
		apply_report(
			log.name, log.recipients[0].name, Report(None, None, "Delivered", "delivered", None, None)
		)

		(entry,) = sms_entries(timeline("ToDo", todo.name))
		self.assertIn("3 recipients", entry)
		for outcome in ("Delivered (1)", "Failed (1)", "Sent (1)"):
			self.assertIn(outcome, entry)
		self.assertIn("&lt;img src=x onerror=alert(1)&gt;", entry)
		self.assertIn("&lt;script&gt;", entry)
		self.assertNotIn("<img", entry)
		self.assertNotIn("<script", entry)

	def todo_notification(self, message):
		"""A Notification that texts the owner of each new ToDo."""
		self.addCleanup(frappe.cache.hdel, "notifications", "ToDo")
		return frappe.get_doc(
			{
				"doctype": "Notification",
				"name": f"{self.message} todo",
				"subject": "SMS test",
				"document_type": "ToDo",
				"event": "New",
				"channel": "SMS",
				"message": message,
				"recipients": [{"receiver_by_document_field": "owner"}],
			}
		).insert()


class TestPersonTimeline(TimelineTestCase):
	def test_a_contact_with_a_local_mobile_sees_an_sms_sent_in_e164(self):
		contact = self.contact("Noura", self.local_number)
		self.send([self.e164, "+966500000002"])
		self.send(["+966500000003"], self.message + " to someone else")

		(entry,) = sms_entries(timeline("Contact", contact.name))
		self.assertIn(f'href="/app/sms-log/{self.log_named()}"', entry)
		self.assertIn(self.e164, entry)
		self.assertNotIn("+966500000002", entry)  # only this person's outcome
		self.assertIn(">Sent</span>", entry)

	def test_a_users_mobile_and_phone(self):
		frappe.db.set_value(
			"User", "Administrator", {"mobile_no": self.local_number, "phone": "+966500000004"}
		)
		self.send([self.e164])
		self.send(["966500000004"], self.message + " to the phone")

		entries = sms_entries(timeline("User", "Administrator"))
		self.assertTrue(any(self.log_named() in e for e in entries))
		self.assertTrue(any(self.log_named(self.message + " to the phone") in e for e in entries))

	def test_the_newest_and_a_link_to_the_rest(self):
		contact = self.contact("Omar", self.local_number)
		for i in range(SHOWN + 1):
			self.send([self.e164], f"{self.message} number {i}")

		entries = timeline("Contact", contact.name)
		shown = sms_entries(entries)
		self.assertEqual(len(shown), SHOWN)
		self.assertIn(f"{self.message} number {SHOWN}", shown[0])
		self.assertFalse(any(f"{self.message} number 0<" in e for e in shown))
		(more,) = [e for e in entries if MORE in e["content"]]
		self.assertIn(f'href="/app/sms-log?normalized_number={quote(self.e164)}"', more["content"])
		self.assertEqual(more["creation"], min(e["creation"] for e in entries if ENTRY in e["content"]))

	def test_in_arabic_the_number_and_the_message_keep_their_own_direction(self):
		contact = self.contact("Noura", self.local_number)
		self.send([self.e164], "تذكير بالدفع " + self.message)
		self.addCleanup(setattr, frappe.local, "lang", frappe.local.lang)
		frappe.local.lang = "ar"

		(entry,) = sms_entries(timeline("Contact", contact.name))
		self.assertIn(
			f'رسالة نصية من <strong><bdi>Administrator</bdi></strong> إلى <bdi dir="ltr">{self.e164}</bdi>',
			entry,
		)
		self.assertIn(">مُرسلة</span>", entry)
		self.assertIn(
			f'<div class="sms-log-timeline-message" dir="auto">تذكير بالدفع {self.message}</div>', entry
		)


class TestERPNextParties(TimelineTestCase):
	def setUp(self):
		if not frappe.db.exists("DocType", "Customer"):
			self.skipTest("Customer and Lead come with ERPNext")
		super().setUp()

	def test_a_customer_through_its_primary_contact_and_a_lead_through_its_whatsapp(self):
		contact = self.contact("Noura", self.local_number)
		customer = frappe.get_doc(
			{"doctype": "Customer", "customer_name": self.message, "customer_primary_contact": contact.name}
		).insert()
		lead = frappe.get_doc({"doctype": "Lead", "first_name": "Omar", "whatsapp_no": self.local_number})
		lead.insert()
		self.send([self.e164])

		for doctype, name in (("Customer", customer.name), ("Lead", lead.name)):
			with self.subTest(doctype=doctype):
				(entry,) = sms_entries(timeline(doctype, name))
				self.assertIn(f'href="/app/sms-log/{self.log_named()}"', entry)


class TestTimelinePermissions(TimelineTestCase):
	def test_only_who_reads_sms_logs_sees_the_entries(self):
		self.send([self.e164])
		as_plain_user(self)
		contact = self.contact("Plain's contact", self.local_number)  # a user reads the contacts they own
		with references.reference("Contact", contact.name):
			self.send([self.e164], self.message + " for the contact")

		self.assertEqual(sms_entries(docinfo("Contact", contact.name).additional_timeline_content), [])
		response = frappe.as_json(frappe.response)
		self.assertNotIn(self.message, response)
		for log in committed_logs(message=("like", f"%{self.message}%")):
			self.assertNotIn(log.name, response)

		frappe.set_user("Administrator")
		self.assertEqual(len(sms_entries(timeline("Contact", contact.name))), 2)
