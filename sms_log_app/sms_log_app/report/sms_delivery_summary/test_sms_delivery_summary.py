# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

from unittest.mock import patch

import frappe
from frappe.utils import add_days, getdate, now_datetime, today

from sms_log_app import bulk_send, opt_outs, scheduled_sends, sending
from sms_log_app.daily_totals import rebuild
from sms_log_app.delivery import Report
from sms_log_app.delivery_reports import apply_report
from sms_log_app.log_writer import separate_connection
from sms_log_app.references import message_class, send_after
from sms_log_app.scheduled_sends import cancel_send, release_due_sends
from sms_log_app.send_input import Send
from sms_log_app.sms_log_app.doctype.sms_log.sms_log import SMSLog
from sms_log_app.sms_log_app.report.sms_delivery_summary.sms_delivery_summary import (
	execute,
	get_data,
	resolve_filters,
)
from sms_log_app.tests.utils import N1, N2, N3, SMSLogTestCase, delete_logs, delete_opt_out

LONG_MESSAGE = "x" * 200  # GSM-7, two segments


class TestSMSDeliverySummary(SMSLogTestCase):
	def setUp(self):
		super().setUp()
		self.sender = f"Report test {frappe.generate_hash(length=8)}"
		self.addCleanup(delete_logs, sender_name=self.sender)
		self.gateway.behaviours[N3] = "reject"
		for numbers, message in (
			([N1, N2], f"{LONG_MESSAGE} {self.message}"),  # Sent: 2 recipients x 2 segments
			([N1, N3], self.message),  # Partially Sent
			([N3], self.message),  # Failed
			([N2], self.message),  # Sent
		):
			sending.send_and_log(numbers, message, sender_name=self.sender)

	def run_report(self, **filters):
		# the logs were committed on another connection: read them on a fresh one
		with separate_connection():
			return execute({"sender": self.sender, **filters})

	def test_rows_by_day_sender_and_status(self):
		columns, rows, _message, chart = self.run_report()

		self.assertEqual(
			[c["fieldname"] for c in columns],
			[
				"sent_on",
				"sender_name",
				"status",
				"message_class",
				"logs",
				"requested",
				"sent",
				"skipped",
				"failed",
				"segments",
			],
		)
		by_status = {row.status: row for row in rows}
		self.assertEqual(set(by_status), {"Sent", "Partially Sent", "Failed"})
		for row in rows:
			self.assertEqual((getdate(row.sent_on), row.sender_name), (getdate(), self.sender))

		sent = by_status["Sent"]
		self.assertEqual((sent.logs, sent.requested, sent.sent, sent.failed, sent.segments), (2, 3, 3, 0, 5))
		partial = by_status["Partially Sent"]
		self.assertEqual((partial.logs, partial.requested, partial.sent, partial.failed), (1, 2, 1, 1))
		failed = by_status["Failed"]
		self.assertEqual((failed.requested, failed.sent, failed.failed, failed.segments), (1, 0, 1, 0))

		totals = {
			field: sum(row[field] for row in rows) for field in ("requested", "sent", "failed", "segments")
		}
		self.assertEqual(totals, {"requested": 6, "sent": 4, "failed": 2, "segments": 6})
		self.assertEqual(frappe.db.get_value("Report", "SMS Delivery Summary", "add_total_row"), 1)

		# the chart: logs a day by status, the last 30 days by default
		self.assertEqual(len(chart["data"]["labels"]), 30)
		datasets = {d["name"]: d["values"] for d in chart["data"]["datasets"]}
		self.assertEqual(
			(datasets["Sent"][-1], datasets["Partially Sent"][-1], datasets["Failed"][-1]), (2, 1, 1)
		)

	def test_filters(self):
		_columns, rows, *_ = self.run_report(status="Failed")
		self.assertEqual([(row.status, row.logs) for row in rows], [("Failed", 1)])

		_columns, rows, *_ = self.run_report(from_date=add_days(today(), -10), to_date=add_days(today(), -1))
		self.assertEqual(rows, [])

		with self.assertRaises(frappe.ValidationError):
			self.run_report(from_date=today(), to_date=add_days(today(), -1))

	def test_rows_by_class(self):
		with message_class("Promotional"):
			sending.send_and_log([N1], self.message, sender_name=self.sender)
		_columns, rows, *_ = self.run_report(status="Sent")
		self.assertEqual(
			sorted((row.message_class, row.logs) for row in rows), [("Promotional", 1), ("Transactional", 2)]
		)
		_columns, rows, *_ = self.run_report(message_class="Promotional")
		self.assertEqual(
			[(row.status, row.message_class, row.logs) for row in rows], [("Sent", "Promotional", 1)]
		)

	def test_skipped_and_scheduled_recipients_are_not_failures(self):
		with separate_connection():
			opted_out = opt_outs.record(N3, opt_outs.DESK)
		self.addCleanup(delete_opt_out, opted_out)
		with message_class("Promotional"):
			sending.send_and_log([N1, N3], f"{self.message} promo", sender_name=self.sender)
			sending.send_and_log([N3], f"{self.message} promo only", sender_name=self.sender)
		with send_after(add_days(now_datetime(), 1)):
			sending.send_and_log([N1, N2], f"{self.message} later", sender_name=self.sender)

		_columns, rows, *_ = self.run_report(message_class="Promotional")
		self.assertEqual(
			sorted((r.status, r.logs, r.requested, r.sent, r.skipped, r.failed) for r in rows),
			[("Not Sent", 1, 1, 0, 1, 0), ("Sent", 1, 2, 1, 1, 0)],
		)
		_columns, rows, *_ = self.run_report(status="Scheduled")
		self.assertEqual([(r.requested, r.sent, r.skipped, r.failed) for r in rows], [(2, 0, 0, 0)])

	def test_runs_without_filters(self):
		"""As a benchmark or `bench execute` calls it."""
		with separate_connection():
			columns, rows, _message, chart = execute()
		self.assertEqual(len(columns), 10)
		self.assertIn(self.sender, {row.sender_name for row in rows})
		self.assertEqual(len(chart["data"]["labels"]), 30)

	def test_desk_run_and_export(self):
		"""What Desk calls to show the report, with the totals row, and to export it as CSV."""
		from frappe.desk.query_report import export_query, run

		frappe.db.rollback()  # see the committed logs
		filters = {"from_date": today(), "to_date": today(), "sender": self.sender}
		result = run("SMS Delivery Summary", filters=filters, ignore_prepared_report=True)
		totals = result["result"][
			-1
		]  # requested, sent, skipped (none: Frappe leaves it blank), failed, segments
		self.assertEqual([totals[5], totals[6], totals[7] or 0, totals[8], totals[9]], [6, 4, 0, 2, 6])

		frappe.form_dict.update(
			{
				"report_name": "SMS Delivery Summary",
				"file_format_type": "CSV",
				"filters": frappe.as_json(filters),
				"visible_idx": "[]",
				"include_indentation": 0,
			}
		)
		export_query()
		self.assertEqual(frappe.response["type"], "binary")
		csv = frappe.safe_decode(frappe.response["filecontent"])
		self.assertIn(self.sender, csv)
		self.assertIn("Partially Sent", csv)


class TestDailyTotals(SMSLogTestCase):
	"""The report reads daily totals kept as logs change: they must equal grouping the logs."""

	def setUp(self):
		super().setUp()
		self.sender = f"Totals test {frappe.generate_hash(length=8)}"
		self.addCleanup(delete_logs, sender_name=self.sender)
		self.gateway.behaviours[N3] = "reject"

	def assert_totals_match_the_logs(self):
		frappe.db.rollback()  # see what the log connection committed
		filters = resolve_filters({"sender": self.sender, "from_date": add_days(today(), -800)})
		self.assertEqual(summary_rows(get_data(filters)), grouped_logs(self.sender))
		return grouped_logs(self.sender)

	def test_sends_bulk_sends_delivery_reports_inserts_and_clearing_keep_them_exact(self):
		for numbers in ([N1, N2], [N1, N3], [N3], [N2]):
			sending.send_and_log(numbers, f"{LONG_MESSAGE} {self.message}", sender_name=self.sender)
		with message_class("Promotional"):
			sending.send_and_log([N1, N3], self.message, sender_name=self.sender)
		self.assertIn("Promotional", [row[3] for row in self.assert_totals_match_the_logs()])

		# a queued send moves from Queued to its outcome when its job completes it
		with patch.object(bulk_send, "enqueue", lambda *chunk: None):
			queued = bulk_send.queue_send(Send([N1, N2, N3], self.message, self.sender), {})
		self.assertIn("Queued", [row[2] for row in self.assert_totals_match_the_logs()])
		bulk_send.send_queued(queued)
		self.assertNotIn("Queued", [row[2] for row in self.assert_totals_match_the_logs()])

		# sends held for later count as Scheduled until they go, or as Cancelled once cancelled
		with send_after(add_days(now_datetime(), 1)):
			held, cancelled = (
				sending.send_and_log([N1, N2], self.message, sender_name=self.sender) for _ in range(2)
			)
		self.assertIn("Scheduled", [row[2] for row in self.assert_totals_match_the_logs()])
		cancel_send(cancelled)
		self.assertIn("Cancelled", [row[2] for row in self.assert_totals_match_the_logs()])
		with (
			patch.object(scheduled_sends, "clock", lambda: add_days(now_datetime(), 2)),
			patch.object(bulk_send, "enqueue", lambda *chunk: None),
		):
			release_due_sends()
		bulk_send.send_queued(held)
		self.assertNotIn("Scheduled", [row[2] for row in self.assert_totals_match_the_logs()])

		# a delivery report moves a log from Sent to Delivered
		log = frappe.get_all("SMS Log", filters={"sender_name": self.sender, "status": "Sent"}, pluck="name")[
			0
		]
		for row in frappe.get_all("SMS Log Recipient", filters={"parent": log}, fields=["name", "number"]):
			with separate_connection():
				apply_report(log, row.name, Report(None, row.number, "Delivered", "delivered", None, None))
		self.assertIn("Delivered", [row[2] for row in self.assert_totals_match_the_logs()])

		# a log inserted as a Document (stock create_sms_log, ERPNext) counts itself
		with separate_connection():
			frappe.get_doc(
				{
					"doctype": "SMS Log",
					"sender_name": self.sender,
					"message": self.message,
					"noofrequested_sms": 2,
					"noofsent_sms": 1,
					"requested_numbers": f"{N1}\n{N3}",
					"sent_to": N1,
				}
			).insert(ignore_permissions=True)
		self.assert_totals_match_the_logs()

		# Log Settings clear a log that is old enough
		with separate_connection():
			frappe.db.set_value(
				"SMS Log", log, "creation", add_days(now_datetime(), -400), update_modified=False
			)
		frappe.db.rollback()  # as the Log Settings job, in a transaction of its own
		SMSLog.clear_old_logs(days=365)
		self.assertFalse(frappe.db.exists("SMS Log", log))
		before = self.assert_totals_match_the_logs()

		rebuild()
		self.assertEqual(self.assert_totals_match_the_logs(), before)


def summary_rows(rows) -> list[tuple]:
	return [
		(
			str(r.sent_on),
			r.sender_name,
			r.status,
			r.message_class,
			r.logs,
			r.requested,
			r.sent,
			r.skipped,
			r.failed,
			r.segments,
		)
		for r in sorted(rows, key=lambda r: (str(r.sent_on), r.status, r.message_class))
	]


def grouped_logs(sender: str) -> list[tuple]:
	"""What the report showed before the daily totals: the logs themselves, grouped."""
	rows = frappe.db.sql(
		"""select sent_on, sender_name, status, ifnull(message_class, 'Transactional'), count(*),
			sum(noofrequested_sms), sum(noofsent_sms), sum(ifnull(noofskipped_sms, 0)),
			sum(if(status in ('Scheduled', 'Queued', 'Sending'), 0,
				noofrequested_sms - noofsent_sms - ifnull(noofskipped_sms, 0))),
			sum(segments * noofsent_sms)
		from `tabSMS Log` where sender_name = %s
		group by sent_on, sender_name, status, ifnull(message_class, 'Transactional')
		order by sent_on, status, ifnull(message_class, 'Transactional')""",
		sender,
	)
	return [(str(day), name, status, cls, *map(int, totals)) for day, name, status, cls, *totals in rows]
