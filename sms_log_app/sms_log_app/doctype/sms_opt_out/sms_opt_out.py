# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

from frappe.model.document import Document

from sms_log_app import opt_outs


class SMSOptOut(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		number: DF.Data
		opted_out_at: DF.Datetime | None
		opted_out_by: DF.Link | None
		removal_reason: DF.SmallText | None
		removed: DF.Check
		removed_at: DF.Datetime | None
		removed_by: DF.Link | None
		source: DF.Literal["Desk", "Link", "Import", "Gateway Report"]
	# end: auto-generated types

	def before_insert(self):
		opt_outs.fill_new(self)

	def validate(self):
		opt_outs.check_removal(self)
