"""Show what a caller sent as text, never as HTML.

An SMS Log keeps the message, the numbers, the sender name and the gateway's answers byte for byte,
so those fields skip Frappe's XSS filter (`ignore_xss_filter`). Whatever formats them for a page must
escape them instead: print formats and Jinja through `get_formatted` (here), Desk through the
docfield formatters set in `sms_log_list.js`.
"""

from frappe.utils import cstr, escape_html


class VerbatimFieldsAsText:
	"""Mixin for a Document: its `ignore_xss_filter` fields are formatted as escaped text."""

	def get_formatted(
		self, fieldname, doc=None, currency=None, absolute_value=False, translated=False, format=None
	):
		df = self.meta.get_field(fieldname)
		if df and df.ignore_xss_filter:
			return escape_html(cstr(self.get(fieldname))).replace("\n", "<br>")
		return super().get_formatted(fieldname, doc, currency, absolute_value, translated, format)
