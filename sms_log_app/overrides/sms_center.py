"""ERPNext's SMS Center (on ERPNext sites only): its sends carry the class and the time chosen on the
form."""

import frappe
from erpnext.selling.doctype.sms_center.sms_center import SMSCenter

from sms_log_app.references import CLASS_FIELD, PROMOTIONAL, SEND_AFTER_FIELD, message_class, send_after


class ClassedSMSCenter(SMSCenter):
	@frappe.whitelist()
	def send_sms(self):
		with message_class(self.get(CLASS_FIELD) or PROMOTIONAL), send_after(self.get(SEND_AFTER_FIELD)):
			super().send_sms()
