import frappe

from sms_log_app.sms_log_app.doctype.sms_log_daily_total import sms_log_daily_total


def execute():
	"""The daily totals are counted by class too: one unique row per day, sender, status and class
	instead of per day, sender and status. `after_migrate` then counts them again from the logs
	(`daily_totals.rebuild`), once the logs have their class (on ERPNext, a Custom Field added then)."""
	sms_log_daily_total.on_doctype_update()
	frappe.db.sql_ddl("alter table `tabSMS Log Daily Total` drop index if exists `day_sender_status`")
