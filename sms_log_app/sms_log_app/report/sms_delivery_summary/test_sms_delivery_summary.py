# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

import frappe
from frappe.utils import add_days, getdate, today

from sms_log_app import capture
from sms_log_app.log_writer import separate_connection
from sms_log_app.sms_log_app.doctype.sms_log.test_sms_log import N1, N2, N3, SMSLogTestCase
from sms_log_app.sms_log_app.report.sms_delivery_summary.sms_delivery_summary import execute
from sms_log_app.tests.utils import delete_logs

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
			capture.send_and_log(numbers, message, sender_name=self.sender)

	def run_report(self, **filters):
		# the logs were committed on another connection: read them on a fresh one
		with separate_connection():
			return execute({"sender": self.sender, **filters})

	def test_rows_by_day_sender_and_status(self):
		columns, rows, _message, chart = self.run_report()

		self.assertEqual(
			[c["fieldname"] for c in columns],
			["sent_on", "sender_name", "status", "logs", "requested", "sent", "failed", "segments"],
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

	def test_runs_without_filters(self):
		"""As a benchmark or `bench execute` calls it."""
		with separate_connection():
			columns, rows, _message, chart = execute()
		self.assertEqual(len(columns), 8)
		self.assertIn(self.sender, {row.sender_name for row in rows})
		self.assertEqual(len(chart["data"]["labels"]), 30)

	def test_desk_run_and_export(self):
		"""What Desk calls to show the report, with the totals row, and to export it as CSV."""
		from frappe.desk.query_report import export_query, run

		frappe.db.rollback()  # see the committed logs
		filters = {"from_date": today(), "to_date": today(), "sender": self.sender}
		result = run("SMS Delivery Summary", filters=filters, ignore_prepared_report=True)
		self.assertEqual(result["result"][-1][4:8], [6, 4, 2, 6])  # the totals row

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
