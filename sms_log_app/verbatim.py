"""Show what a caller sent as text, never as HTML.

An SMS Log keeps the message, the numbers, the sender name and the gateway's answers byte for byte,
so those fields skip Frappe's XSS filter (`ignore_xss_filter`); so do the copies and records made from
what a caller sent (a daily total's sender name, a refused request's address). Whatever formats them
for a page must escape them instead, without changing what is stored:
- print formats, PDFs and Jinja, through `get_formatted` (`VerbatimFieldsAsText`, here);
- Report Builder's rows and the list sidebar's group-by counts, escaped by the server before Desk
  draws them (`sms_log_app.overrides.desk`);
- Desk's forms, lists and table rows, through the docfield formatters of `public/js/verbatim_fields.js`,
  which hooks.py serves with these DocTypes on every site, whichever app owns SMS Log.
"""

import frappe
from frappe.utils import cstr, escape_html

# The DocTypes whose `ignore_xss_filter` fields hold what a caller sent.
VERBATIM_DOCTYPES = (
	"SMS Log",
	"SMS Log Recipient",
	"SMS Log Daily Total",
	"SMS Send Refusal",
	"SMS Delivery Report",
)


def verbatim_fields(doctype: str) -> set[str]:
	"""The fields of `doctype` that hold what a caller sent, as stored (none for other DocTypes)."""
	if doctype not in VERBATIM_DOCTYPES:
		return set()
	return {df.fieldname for df in frappe.get_meta(doctype).fields if df.ignore_xss_filter}


# The entities Desk's `frappe.utils.unescape_html` reads back, so that Desk's formatters, which escape
# once whatever they get, do not escape these values twice.
_DESK_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})


def as_text(value):
	"""`value` escaped for HTML when it is a string; anything else unchanged."""
	return value.translate(_DESK_ENTITIES) if isinstance(value, str) else value


class VerbatimFieldsAsText:
	"""Mixin for a Document: its `ignore_xss_filter` fields are formatted as escaped text."""

	def get_formatted(
		self, fieldname, doc=None, currency=None, absolute_value=False, translated=False, format=None
	):
		df = self.meta.get_field(fieldname)
		if df and df.ignore_xss_filter:
			return escape_html(cstr(self.get(fieldname))).replace("\n", "<br>")
		return super().get_formatted(fieldname, doc, currency, absolute_value, translated, format)
