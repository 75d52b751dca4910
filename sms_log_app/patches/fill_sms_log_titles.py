"""Give the logs written before SMS Log had a title theirs: the sender name without markup."""

import frappe

from sms_log_app import adoption
from sms_log_app.markup_free import markup_free

BATCH = 1_000


def execute():
	if not frappe.db.has_column("SMS Log", "title"):
		# where another app owns SMS Log, the field is a Custom Field that after_migrate would add
		adoption.adopt()
	# the sender names with nothing markup_free changes are copied as they are, in one statement
	frappe.db.sql(
		"""update `tabSMS Log` set title = sender_name
		where title is null and sender_name is not null and sender_name not regexp '[<>&"\\'`]'
			and sender_name = trim(sender_name)"""
	)
	last = ""
	while rows := frappe.db.sql(
		"""select name, sender_name from `tabSMS Log`
		where title is null and sender_name is not null and name > %s order by name limit %s""",
		(last, BATCH),
	):
		for name, sender_name in rows:
			frappe.db.set_value("SMS Log", name, "title", markup_free(sender_name), update_modified=False)
		last = rows[-1][0]
