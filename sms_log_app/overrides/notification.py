from frappe.email.doctype.notification.notification import Notification

from sms_log_app.references import reference


class SMSLoggedNotification(Notification):
	"""Records the Notification and the document it fired for on the SMS Log."""

	def send_sms(self, doc, context):
		with reference(doc.doctype, doc.name, notification=self.name):
			super().send_sms(doc, context)
