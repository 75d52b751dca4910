# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

# Used where the settings were never saved; the same as the DocType's defaults.
DEFAULTS = {"gateway_timeout": 10, "send_deadline": 60, "max_recipients": 1000}


class SMSLogSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		gateway_timeout: DF.Float
		max_recipients: DF.Int
		send_deadline: DF.Float
	# end: auto-generated types

	def validate(self):
		for fieldname in DEFAULTS:
			if not self.get(fieldname) or self.get(fieldname) <= 0:
				frappe.throw(
					_("{0} must be greater than zero.").format(_(self.meta.get_label(fieldname))),
					frappe.ValidationError,
				)


def get_limits() -> frappe._dict:
	"""The settings the send path needs, with the defaults where they were never saved."""
	settings = frappe.get_cached_doc("SMS Log Settings")
	return frappe._dict({key: settings.get(key) or default for key, default in DEFAULTS.items()})
