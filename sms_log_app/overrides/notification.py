from frappe.email.doctype.notification.notification import Notification

from sms_log_app.references import CLASS_FIELD, TRANSACTIONAL, message_class, reference


class SMSLoggedNotification(Notification):
	"""Records the Notification, the document it fired for and its class on the SMS Log."""

	def send_sms(self, doc, context):
		with (
			reference(doc.doctype, doc.name, notification=self.name),
			message_class(self.get(CLASS_FIELD) or TRANSACTIONAL),
		):
			super().send_sms(doc, context)
