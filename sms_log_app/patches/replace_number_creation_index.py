import frappe

from sms_log_app.sms_log_app.doctype.sms_log_recipient import sms_log_recipient


def execute():
	"""(normalized_number, creation) becomes (normalized_number, creation, parent), which answers "the
	newest logs to a number" from the index alone."""
	sms_log_recipient.on_doctype_update()
	frappe.db.sql_ddl("alter table `tabSMS Log Recipient` drop index if exists `number_creation_index`")
