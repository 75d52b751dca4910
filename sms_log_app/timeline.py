"""SMS history on the form timeline: the SMS sent for a document, and those sent to a person's numbers.

Frappe calls `timeline_entries` (the `additional_timeline_content` hook) on every form load of every
DocType, so it returns at once for users who may not read SMS Logs and otherwise runs a few indexed
queries: one for the document, one per phone number of a person, one for the logs shown, and one for
the recipients of those sent for the document.
"""

# html.escape, not frappe.utils.escape_html: the same escaping, but not one character at a time,
# which took a quarter of the timeline's time
from html import escape
from urllib.parse import quote, urlencode

import frappe
from frappe import _
from frappe.query_builder import Order
from frappe.query_builder.functions import Count, Min
from frappe.utils import format_datetime

from sms_log_app.numbers import to_e164
from sms_log_app.phone_search import newest_logs
from sms_log_app.record_access import has_unrestricted_read
from sms_log_app.site_region import site_region
from sms_log_app.status import FINAL_DELIVERY, INDICATOR_COLORS

SHOWN = 20  # the newest logs shown; a link to the SMS Log list leads to the rest
EXCERPT_LENGTH = 100

# Where a person's phone numbers are, by DocType; Customer, Supplier, Lead and Employee come with ERPNext.
PERSON_NUMBER_FIELDS = {
	"Contact": (),
	"User": ("mobile_no", "phone"),
	"Customer": ("mobile_no",),
	"Supplier": ("mobile_no",),
	"Lead": ("mobile_no", "phone", "whatsapp_no"),
	"Employee": ("cell_number",),
}
# The Contact whose numbers count as the party's own.
PRIMARY_CONTACT_FIELD = {"Customer": "customer_primary_contact", "Supplier": "supplier_primary_contact"}


def timeline_entries(doctype: str, docname: str) -> list[dict]:
	"""The `additional_timeline_content` hook: the newest SMS sent for this document or to the
	person's phone numbers, one entry per SMS Log, a link to the SMS Log list for the rest, and when
	the person's numbers opted out of promotional SMS (and when such an opt-out was removed)."""
	may_read_logs = frappe.has_permission("SMS Log", "read")
	may_read_opt_outs = doctype in PERSON_NUMBER_FIELDS and frappe.has_permission("SMS Opt-Out", "read")
	if not (may_read_logs or may_read_opt_outs):
		return []
	numbers = person_numbers(doctype, docname)
	entries = opt_out_entries(numbers) if may_read_opt_outs else []
	if may_read_logs:
		entries += sms_entries(doctype, docname, numbers)
	return entries


def sms_entries(doctype: str, docname: str, numbers: list[str]) -> list[dict]:
	"""The newest SMS sent for the document or to `numbers`, and a link to the rest."""
	unrestricted = has_unrestricted_read("SMS Log")
	referenced = newest_logs_for_document(doctype, docname, unrestricted)
	to_person, outcomes = {}, {}
	for row in rows_to_numbers(numbers, unrestricted):
		to_person[row.name] = row.creation
		outcomes.setdefault(row.name, []).append((outcome(row.status, row.delivery_status), 1, row.number))
	newest = sorted({**referenced, **to_person}.items(), key=lambda item: item[1], reverse=True)
	if not newest:
		return []

	shown = [name for name, _creation in newest[:SHOWN]]
	outcomes.update(recipient_outcomes([name for name in shown if name not in to_person]))
	labels = Labels()
	entries = [log_entry(log, outcomes.get(log.name, []), labels) for log in logs(shown)]
	if len(newest) > SHOWN:
		entries.append(
			more_entry(newest[SHOWN - 1][1], doctype, docname, referenced, numbers if to_person else [])
		)
	return entries


def person_numbers(doctype: str, docname: str) -> list[str]:
	"""The E.164 form of each phone number of the person `doctype` `docname`; none for other DocTypes.

	A Contact's numbers are its Contact Phone rows (its mobile_no and phone are copies of two of them).
	"""
	if doctype not in PERSON_NUMBER_FIELDS:
		return []
	typed = []
	contact = docname if doctype == "Contact" else None
	meta = frappe.get_meta(doctype)
	fields = [f for f in PERSON_NUMBER_FIELDS[doctype] if meta.has_field(f)]
	contact_field = PRIMARY_CONTACT_FIELD.get(doctype)
	if contact_field and meta.has_field(contact_field):
		fields.append(contact_field)
	if fields:
		values = frappe.db.get_value(doctype, docname, fields, as_dict=True) or {}
		typed = [values[f] for f in PERSON_NUMBER_FIELDS[doctype] if values.get(f)]
		contact = values.get(contact_field)
	if contact:
		phone = frappe.qb.DocType("Contact Phone")
		typed += (
			frappe.qb.from_(phone)
			.select(phone.phone)
			.where((phone.parenttype == "Contact") & (phone.parent == contact))
			.run(pluck=True)
		)
	if not typed:
		return []
	region = site_region()
	return sorted({e164 for number in typed if (e164 := to_e164(number, region))})


def rows_to_numbers(numbers: list[str], unrestricted: bool) -> list:
	"""The recipient rows with one of `numbers` (E.164) of the newest SHOWN + 1 logs to each number
	that the user may read (name: the log's, creation, status, delivery_status, number)."""
	columns = "r.parent as name, r.creation, r.status, r.delivery_status, r.number"
	if unrestricted:
		return [
			row for number in numbers for row in newest_logs(number, SHOWN + 1, 0, columns, one_per_log=False)
		]
	if not numbers:
		return []
	names = readable_logs_to_numbers(numbers)
	if not names:
		return []
	recipient = frappe.qb.DocType("SMS Log Recipient")
	return (
		frappe.qb.from_(recipient)
		.select(
			recipient.parent.as_("name"),
			recipient.creation,
			recipient.status,
			recipient.delivery_status,
			recipient.number,
		)
		.where(
			(recipient.parenttype == "SMS Log")
			& recipient.parent.isin(names)
			& recipient.normalized_number.isin(numbers)
		)
		.run(as_dict=True)
	)


def readable_logs_to_numbers(numbers: list[str]) -> list[str]:
	"""The newest SHOWN + 1 logs to any of `numbers` that the user may read, through Frappe's permission
	query. A log to the same number twice comes twice, so read on until enough logs are found."""
	wanted = fetch = SHOWN + 1
	while True:
		rows = frappe.get_list(
			"SMS Log",
			filters=[["SMS Log Recipient", "normalized_number", "in", numbers]],
			fields=["`tabSMS Log`.`name`", "`tabSMS Log`.`creation`"],
			order_by="`tabSMS Log`.`creation` desc",
			limit_page_length=fetch,
		)
		names = list(dict.fromkeys(row.name for row in rows))
		if len(rows) < fetch or len(names) >= wanted:
			return names[:wanted]
		fetch *= 2


def newest_logs_for_document(doctype: str, docname: str, unrestricted: bool = True) -> dict:
	"""{log name: creation} of the newest SHOWN + 1 logs whose reference is this document (of those
	the user may read, through Frappe's permission query, unless `unrestricted`)."""
	if not unrestricted:
		rows = frappe.get_list(
			"SMS Log",
			filters={"reference_doctype": doctype, "reference_name": docname},
			fields=["name", "creation"],
			order_by="creation desc",
			limit_page_length=SHOWN + 1,
			as_list=True,
		)
		return dict(rows)
	log = frappe.qb.DocType("SMS Log")
	rows = (
		frappe.qb.from_(log)
		.select(log.name, log.creation)
		.where((log.reference_doctype == doctype) & (log.reference_name == docname))
		.orderby(log.creation, order=Order.desc)
		.limit(SHOWN + 1)
		.run()
	)
	return dict(rows)


def recipient_outcomes(names: list[str]) -> dict:
	"""{log name: [(outcome, count, a number with it)]} for the recipients of each log."""
	if not names:
		return {}
	recipient = frappe.qb.DocType("SMS Log Recipient")
	rows = (
		frappe.qb.from_(recipient)
		.select(
			recipient.parent,
			recipient.status,
			recipient.delivery_status,
			Count("*"),
			Min(recipient.number),
		)
		.where((recipient.parenttype == "SMS Log") & recipient.parent.isin(names))
		.groupby(recipient.parent, recipient.status, recipient.delivery_status)
		.run()
	)
	outcomes = {}
	for parent, status, delivery_status, count, number in rows:
		outcomes.setdefault(parent, []).append((outcome(status, delivery_status), count, number))
	return outcomes


def outcome(status: str, delivery_status: str | None) -> str:
	"""What became of one recipient: the final delivery report if any, else whether the gateway took it."""
	return delivery_status if delivery_status in FINAL_DELIVERY else status


def logs(names: list[str]) -> list:
	log = frappe.qb.DocType("SMS Log")
	return (
		frappe.qb.from_(log)
		.select(log.name, log.creation, log.sent_at, log.sender_name, log.message, log.status)
		.where(log.name.isin(names))
		.orderby(log.creation, order=Order.desc)
		.run(as_dict=True)
	)


class Labels:
	"""The entries' words in the user's language, translated once per timeline, not once per entry."""

	def __init__(self):
		self.sms_from = _("SMS from {0} to {1}")
		self.sms_to = _("SMS to {0}")
		self.recipients = _("{0} recipients")
		self.open_log = escape(_("Open SMS Log"))
		self.outcomes = {}

	def outcome(self, word: str) -> str:
		if word not in self.outcomes:
			self.outcomes[word] = escape(_(word))
		return self.outcomes[word]


def log_entry(log, outcomes: list[tuple[str, int, str]], labels: Labels) -> dict:
	"""A timeline card: who sent it to whom, when, what became of it, the start of the message and
	a link to the log. Every value from the log is escaped: messages may contain HTML."""
	recipients = sum(count for _outcome, count, _number in outcomes)
	if recipients == 1:
		to = f'<bdi dir="ltr">{escape(outcomes[0][2] or "")}</bdi>'
	else:
		to = escape(labels.recipients.format(recipients))
	if not outcomes:  # a log written without recipient rows (by Frappe's or ERPNext's own code)
		outcomes = [(log.status, 1, None)]

	totals = {}
	for result, count, _number in outcomes:
		totals[result] = totals.get(result, 0) + count
	pills = "".join(
		f'<span class="indicator-pill {INDICATOR_COLORS.get(result, "red")} ml-1">'
		f"{labels.outcome(result)}{f' ({count})' if recipients > 1 else ''}</span>"
		for result, count in totals.items()
	)
	if log.sender_name:
		title = labels.sms_from.format(f"<strong><bdi>{escape(log.sender_name)}</bdi></strong>", to)
	else:
		title = labels.sms_to.format(to)
	name = escape(log.name)
	content = f"""<div class="sms-log-timeline-entry">
	<div class="flex justify-between flex-wrap">
		<span>{title}</span>
		<span class="sms-log-timeline-outcome">{pills}</span>
	</div>
	<div class="text-muted small my-1">
		{escape(format_datetime(log.sent_at or log.creation))} ·
		<a href="/app/sms-log/{escape(quote(log.name))}" title="{labels.open_log}">{name}</a>
	</div>
	<div class="sms-log-timeline-message" dir="auto">{escape(excerpt(log.message))}</div>
</div>"""
	return {"icon": "small-message", "is_card": True, "creation": log.creation, "content": content}


def opt_out_entries(numbers: list[str]) -> list[dict]:
	"""An entry for each opt-out of `numbers` (one query on the key), and one for its removal."""
	if not numbers:
		return []
	entries = []
	for opt_out in frappe.get_all(
		"SMS Opt-Out",
		filters={"name": ("in", numbers)},
		fields=["name", "opted_out_at", "source", "removed", "removed_at", "removed_by", "removal_reason"],
	):
		number = f'<a href="/app/sms-opt-out/{escape(quote(opt_out.name))}"><bdi dir="ltr">{escape(opt_out.name)}</bdi></a>'
		text = _("{0} opted out of promotional SMS ({1}).").format(number, escape(_(opt_out.source or "")))
		entries.append(opt_out_entry(opt_out.opted_out_at, text))
		if opt_out.removed:
			removal = _("The opt-out of {0} was removed by {1}: {2}").format(
				number,
				escape(frappe.utils.get_fullname(opt_out.removed_by)),
				escape(opt_out.removal_reason or ""),
			)
			entries.append(opt_out_entry(opt_out.removed_at, removal))
	return entries


def opt_out_entry(creation, text: str) -> dict:
	content = f"""<div class="sms-opt-out-timeline-entry">{text}
	<div class="text-muted small my-1">{escape(format_datetime(creation))}</div>
</div>"""
	return {"icon": "small-message", "is_card": True, "creation": creation, "content": content}


def excerpt(message: str | None) -> str:
	text = " ".join((message or "").split())
	return text if len(text) <= EXCERPT_LENGTH else text[:EXCERPT_LENGTH].rstrip() + "…"


def more_entry(creation, doctype: str, docname: str, referenced: dict, numbers: list[str]) -> dict:
	"""Links to the SMS Log list filtered to the document and to the numbers, placed just below the
	oldest entry shown."""
	links = []
	if referenced:
		query = urlencode({"reference_doctype": doctype, "reference_name": docname})
		links.append((query, _("View all SMS sent for this document")))
	if numbers:
		value = numbers[0] if len(numbers) == 1 else frappe.as_json(["in", numbers], indent=None)
		links.append((urlencode({"normalized_number": value}), _("View all SMS sent to these numbers")))
	content = " · ".join(
		f'<a href="/app/sms-log?{escape(query)}">{escape(label)}</a>' for query, label in links
	)
	return {
		"icon": "small-message",
		"is_card": True,
		"creation": creation,
		"content": f'<div class="sms-log-timeline-more">{escape(_("Newest {0} SMS shown.").format(SHOWN))} '
		f"{content}</div>",
	}
