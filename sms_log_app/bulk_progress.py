"""How far a queued bulk send has got, for the SMS Log form (`public/js/sms_log.js`).

The job publishes its progress in realtime (`bulk_send.Progress`), which reaches a form only where
Frappe's socket.io server runs; while a log is Queued its form also asks here, every few seconds.
"""

import frappe
from frappe.query_builder.functions import Count

from sms_log_app.status import QUEUED, SENDING


@frappe.whitelist()
def bulk_progress(name: str) -> dict:
	"""The log's status, and how many of its recipients the job has done out of how many."""
	frappe.has_permission("SMS Log", "read", doc=name, throw=True)
	recipient = frappe.qb.DocType("SMS Log Recipient")
	counts = (
		frappe.qb.from_(recipient)
		.select(recipient.status, Count("*"))
		.where((recipient.parenttype == "SMS Log") & (recipient.parent == name))
		.groupby(recipient.status)
		.run()
	)
	total = sum(count for _status, count in counts)
	waiting = sum(count for status, count in counts if status in (QUEUED, SENDING))
	return {"status": frappe.db.get_value("SMS Log", name, "status"), "done": total - waiting, "total": total}
