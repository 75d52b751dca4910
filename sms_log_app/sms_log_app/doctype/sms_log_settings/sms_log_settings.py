# Copyright (c) 2026, Dafater and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class SMSLogSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		gateway_timeout: DF.Float
	# end: auto-generated types

	pass
