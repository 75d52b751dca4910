# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

"""Server pieces of the Desk views: the search by phone number and the workspace's number cards."""

import json
import random

import frappe
from frappe.query_builder.functions import Sum

from sms_log_app import number_cards, sending
from sms_log_app.log_writer import separate_connection
from sms_log_app.phone_search import get_list_page, logs_to_number, normalize_number
from sms_log_app.sms_log_app.report.sms_delivery_summary.sms_delivery_summary import STATUS_COLORS
from sms_log_app.tests.utils import N1, N2, N3, SMSLogTestCase, as_plain_user


class TestPhoneSearch(SMSLogTestCase):
	def test_every_way_of_typing_a_number_finds_the_same_logs(self):
		sending.send_and_log(["0500000001"], self.message)
		sending.send_and_log(["966500000001", N2], self.message)

		for typed in ("0500000001", "+966 50 000 0001", "966500000001", "+966500000001", "00966500000001"):
			with self.subTest(typed=typed):
				e164 = normalize_number(typed)
				self.assertEqual(e164, N1)
				with separate_connection():
					found = frappe.get_list(
						"SMS Log",
						filters=[
							["message", "=", self.message],
							["SMS Log Recipient", "normalized_number", "=", e164],
						],
						pluck="name",
						distinct=True,
					)
				self.assertEqual(len(found), 2)

	def test_newest_logs_to_a_number_page_like_the_list_query(self):
		"""logs_to_number and the list's shortcut read the recipients' index; they must give the pages
		the list's own query gives, a log sent to the number twice counted once."""
		number = f"+96658{random.randint(10**6, 10**7 - 1)}"  # a number of this test only
		for i in range(7):
			numbers = [number, number] if i == 3 else [number, N2]
			sending.send_and_log(numbers, f"{self.message} {i}")
		frappe.db.rollback()  # see what the log connection committed

		def list_query(start, page):
			"""The list's own query, paged here: v15.55.1 drops its ORDER BY when it is DISTINCT."""
			logs = frappe.get_list(
				"SMS Log",
				filters=[["SMS Log Recipient", "normalized_number", "=", number]],
				fields=["`tabSMS Log`.`name`", "`tabSMS Log`.`creation`"],
				distinct=True,
			)
			newest_first = sorted(logs, key=lambda log: log.creation, reverse=True)
			return [log.name for log in newest_first[start : start + page]]

		self.assertEqual(len(list_query(0, 20)), 7)
		for start, page in ((0, 20), (0, 3), (3, 3), (6, 3)):
			with self.subTest(start=start, page=page):
				found = logs_to_number(number.replace("+966", "0"), limit=page, start=start)
				self.assertEqual([log.name for log in found], list_query(start, page))
				self.assertEqual(set(found[0]), {"name", "sent_at", "status", "sender_name", "message"})

				frappe.form_dict.update(
					{
						"doctype": "SMS Log",
						"fields": frappe.as_json(["`tabSMS Log`.`name`", "`tabSMS Log`.`status`"]),
						"filters": frappe.as_json([["SMS Log Recipient", "normalized_number", "=", number]]),
						"order_by": "`tabSMS Log`.`creation` desc",
						"start": start,
						"page_length": page,
					}
				)
				page_names = [row[0] for row in get_list_page()["values"]]
				self.assertEqual(page_names, list_query(start, page))

		with self.assertRaises(frappe.ValidationError):
			logs_to_number("hello")

	def test_text_that_is_not_a_number(self):
		for typed in ("", "hello", "<img src=x onerror=alert(1)>"):
			with self.subTest(typed=typed):
				self.assertIsNone(normalize_number(typed))

	def test_only_who_reads_sms_logs_may_search(self):
		as_plain_user(self)
		with self.assertRaises(frappe.PermissionError):
			normalize_number("0500000001")


class TestNumberCards(SMSLogTestCase):
	def cards(self) -> dict:
		with separate_connection():
			return {
				"sent": number_cards.sent_today()["value"],
				"failed": number_cards.failed_today()["value"],
				"rate": number_cards.delivery_rate(),
			}

	def test_today_counts_recipients_and_the_rate_is_sent_over_requested(self):
		before = self.cards()
		self.gateway.behaviours[N3] = "reject"
		sending.send_and_log([N1, N2, N3], self.message)
		after = self.cards()

		self.assertEqual(after["sent"] - before["sent"], 2)
		self.assertEqual(after["failed"] - before["failed"], 1)

		rate = after["rate"]
		self.assertEqual(rate["fieldtype"], "Percent")
		self.assertEqual(rate["precision"], 1)  # shown as 88.5%, not 88.500%
		self.assertEqual(rate["route"], ["List", "SMS Log"])
		log = frappe.qb.DocType("SMS Log")
		with separate_connection():
			sent, requested = (
				frappe.qb.from_(log)
				.select(Sum(log.noofsent_sms), Sum(log.noofrequested_sms))
				.where(log.sent_on >= rate["route_options"]["sent_on"][1])
				.run()[0]
			)
		self.assertAlmostEqual(rate["value"], round(100 * float(sent) / float(requested), 1))

	def test_cards_are_installed_with_the_workspace(self):
		workspace = frappe.get_doc("Workspace", "SMS Logs")
		self.assertEqual(
			{c.number_card_name for c in workspace.number_cards},
			{"SMS Sent Today", "SMS Failed Today", "SMS Delivery Rate (30 Days)", "SMS Provider Balance"},
		)
		self.assertEqual([c.chart_name for c in workspace.charts], ["SMS Daily Volume by Status"])
		self.assertEqual(
			{(s.type, s.link_to) for s in workspace.shortcuts},
			{
				("DocType", "SMS Log"),
				("Report", "SMS Delivery Summary"),
				("DocType", "SMS Send Refusal"),
				("DocType", "SMS Opt-Out"),
				("DocType", "SMS Delivery Report"),
				("DocType", "SMS Log Settings"),
			},
		)
		for card in workspace.number_cards:
			method = frappe.db.get_value("Number Card", card.number_card_name, "method")
			self.assertIn("value", frappe.get_attr(method)())

	def test_the_volume_chart_colours_each_status_as_the_report_does_and_labels_it_whole(self):
		# the workspace's chart takes its colours from its own options, not from the report's chart
		options = json.loads(
			frappe.db.get_value("Dashboard Chart", "SMS Daily Volume by Status", "custom_options")
		)
		self.assertEqual(options["colors"], list(STATUS_COLORS.values()))
		self.assertEqual(options["truncateLegends"], 0)

	def test_only_who_reads_sms_logs_sees_the_figures(self):
		as_plain_user(self)
		for card in (number_cards.sent_today, number_cards.failed_today, number_cards.delivery_rate):
			with self.subTest(card=card.__name__), self.assertRaises(frappe.PermissionError):
				card()
