"""ERPNext's SMS Center (on ERPNext sites only): its sends carry the class chosen on the form."""

import frappe
from erpnext.selling.doctype.sms_center.sms_center import SMSCenter

from sms_log_app.references import CLASS_FIELD, PROMOTIONAL, message_class


class ClassedSMSCenter(SMSCenter):
	@frappe.whitelist()
	def send_sms(self):
		with message_class(self.get(CLASS_FIELD) or PROMOTIONAL):
			super().send_sms()
