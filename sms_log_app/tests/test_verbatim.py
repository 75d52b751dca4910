# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

"""What a caller sent reaches Desk's HTML as text, and is stored as it came (sms_log_app.verbatim and
sms_log_app.overrides.desk)."""

import json

import frappe
from frappe.desk.search import search_link

from sms_log_app import sending
from sms_log_app.log_writer import separate_connection
from sms_log_app.overrides import desk
from sms_log_app.patches import fill_sms_log_titles
from sms_log_app.tests.utils import N1, SMSLogTestCase

NUMBER = "<img src=x onerror=alert(3)>"
SENDER = "<img src=x onerror=alert(4)>Mallory's"


class TestVerbatimFieldsReachDeskAsText(SMSLogTestCase):
	def setUp(self):
		super().setUp()
		self.hostile = f"<script>alert(1)</script> {self.message} & more"
		self.log = sending.send_and_log([NUMBER, N1], self.hostile, sender_name=SENDER)
		frappe.db.rollback()  # see what the log's own connection committed
		self.addCleanup(frappe.form_dict.clear)

	def report_view(self, fields):
		frappe.form_dict.clear()
		frappe.form_dict.update(
			{
				"doctype": "SMS Log",
				"fields": json.dumps(fields),
				"filters": json.dumps([["SMS Log", "name", "=", self.log]]),
			}
		)
		data = desk.get()
		return dict(zip(data["keys"], data["values"][0], strict=True))

	def test_report_builder_rows_are_escaped_and_the_log_is_not(self):
		row = self.report_view(
			[
				"`tabSMS Log`.`name`",
				"`tabSMS Log`.`message`",
				"`tabSMS Log`.`sender_name`",
				"`tabSMS Log`.`noofrequested_sms`",
				"`tabSMS Log Recipient`.`number` as `SMS Log Recipient:number`",
			]
		)
		self.assertEqual(row["name"], self.log)
		self.assertEqual(row["noofrequested_sms"], 2)
		self.assertEqual(row["message"], f"&lt;script&gt;alert(1)&lt;/script&gt; {self.message} &amp; more")
		self.assertEqual(row["sender_name"], "&lt;img src=x onerror=alert(4)&gt;Mallory&#39;s")
		self.assertNotIn("<", row["SMS Log Recipient:number"])
		with separate_connection():
			stored = frappe.db.get_value("SMS Log", self.log, ["message", "sender_name"], as_dict=True)
		self.assertEqual((stored.message, stored.sender_name), (self.hostile, SENDER))

	def test_group_by_counts_are_escaped(self):
		counts = desk.get_group_by_count(
			"SMS Log", json.dumps([["SMS Log", "name", "=", self.log]]), "sender_name"
		)
		self.assertEqual(
			[(c["name"], c["count"]) for c in counts],
			[("&lt;img src=x onerror=alert(4)&gt;Mallory&#39;s", 1)],
		)
		# other fields, and other DocTypes, as they are
		counts = desk.get_group_by_count(
			"SMS Log", json.dumps([["SMS Log", "name", "=", self.log]]), "status"
		)
		self.assertEqual([c["name"] for c in counts], ["Partially Sent"])

	def test_print_formats_of_daily_totals_show_the_sender_as_text(self):
		total = frappe.get_all("SMS Log Daily Total", filters={"sender_name": SENDER}, pluck="name")[0]
		html = frappe.get_print("SMS Log Daily Total", total)
		self.assertIn("&lt;img src=x onerror=alert(4)&gt;", html)
		self.assertNotIn(SENDER, html)

	def test_the_title_is_the_sender_name_without_markup(self):
		self.assertEqual(frappe.get_meta("SMS Log").title_field, "title")
		with separate_connection():
			stored = frappe.db.get_value("SMS Log", self.log, ["title", "sender_name"], as_dict=True)
		self.assertEqual((stored.title, stored.sender_name), ("Mallory’s", SENDER))

	def test_link_autocompletes_show_the_title(self):
		"""Desk's link fields write each result's description, the title among it, as HTML."""
		[result] = search_link("SMS Log", self.log)
		self.assertEqual(result["value"], self.log)
		self.assertIn("Mallory’s", result["description"])
		self.assertNotIn("<", json.dumps(result))

	def test_a_patch_gives_earlier_logs_their_title(self):
		with separate_connection():
			frappe.db.set_value("SMS Log", self.log, "title", None, update_modified=False)
		frappe.db.rollback()
		fill_sms_log_titles.execute()
		self.assertEqual(frappe.db.get_value("SMS Log", self.log, "title"), "Mallory’s")

	def test_message_ids_and_delivery_errors_are_escaped(self):
		"""Both come from the gateway (its answer, its delivery reports) and are kept as they came."""
		recipient = frappe.qb.DocType("SMS Log Recipient")
		with separate_connection():
			frappe.qb.update(recipient).set(recipient.message_id, NUMBER).set(
				recipient.delivery_error, SENDER
			).where(recipient.parent == self.log).run()
		frappe.db.rollback()
		row = self.report_view(
			[
				"`tabSMS Log`.`name`",
				"`tabSMS Log Recipient`.`message_id` as `SMS Log Recipient:message_id`",
				"`tabSMS Log Recipient`.`delivery_error` as `SMS Log Recipient:delivery_error`",
			]
		)
		self.assertEqual(row["SMS Log Recipient:message_id"], "&lt;img src=x onerror=alert(3)&gt;")
		self.assertEqual(
			row["SMS Log Recipient:delivery_error"], "&lt;img src=x onerror=alert(4)&gt;Mallory&#39;s"
		)
		html = frappe.get_doc("SMS Log Recipient", {"parent": self.log, "idx": 1}).get_formatted(
			"delivery_error"
		)
		self.assertEqual(html, "&lt;img src=x onerror=alert(4)&gt;Mallory&apos;s")
