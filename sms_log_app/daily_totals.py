"""SMS Logs counted by day, sender, status and class ("SMS Log Daily Total"), kept exact as logs change, so
that the SMS Delivery Summary reads a few thousand totals instead of grouping every log of a year.

Every change to what a log counts for is applied here, in the transaction that makes it:
- a log written: `add` (`log_writer`, and `SMSLog.after_insert` for logs inserted as Documents);
- its status or counts changed: `move` (a bulk send completing, a delivery report);
- logs deleted: `remove` (Log Settings clearing old logs).
`rebuild` counts everything again from the logs; install and every migrate run it.

A change locks its totals rows until its transaction commits. The rows of one change are locked in
name order, so that two changes never wait for each other's rows.
"""

import hashlib
from collections import defaultdict

import frappe
from frappe.utils import now

from sms_log_app.references import TRANSACTIONAL

DOCTYPE = "SMS Log Daily Total"
TOTALS = ("logs", "requested", "sent", "skipped", "segments")
# what a log counts for: the fields of SMS Log that `counts` reads
COUNTED_FIELDS = (
	"sent_on",
	"sender_name",
	"status",
	"message_class",
	"noofrequested_sms",
	"noofsent_sms",
	"noofskipped_sms",
	"segments",
)
ON_DUPLICATE = "modified = values(modified), " + ", ".join(f"{t} = {t} + values({t})" for t in TOTALS)


def add(*logs, sign: int = 1):
	"""Count `logs` (documents or dicts with COUNTED_FIELDS) in their day's totals."""
	_apply([(log, sign) for log in logs])


def move(before, after):
	"""A log's status or counts changed from `before` to `after` (both with COUNTED_FIELDS)."""
	_apply([(before, -1), (after, 1)])


def remove(names: list[str]):
	"""Take the logs `names`, about to be deleted, out of their totals."""
	if names:
		add(*frappe.get_all("SMS Log", filters={"name": ("in", names)}, fields=COUNTED_FIELDS), sign=-1)


def counts(log) -> tuple[tuple, tuple]:
	"""(day, sender, status, class) and (logs, requested, sent, skipped, segments billed) of one log; a log
	written without a class is Transactional, as the column's default makes it."""
	sent = log.get("noofsent_sms") or 0
	key = (
		str(log.get("sent_on") or ""),
		log.get("sender_name") or "",
		log.get("status") or "",
		log.get("message_class") or TRANSACTIONAL,
	)
	requested, skipped = log.get("noofrequested_sms") or 0, log.get("noofskipped_sms") or 0
	return key, (1, requested, sent, skipped, (log.get("segments") or 0) * sent)


def rebuild():
	"""Count every log again, in a transaction of its own. The totals are deleted first, and their
	locks hold back the logs written meanwhile, which then count themselves on top of this count."""
	frappe.db.commit()  # the count must see every log committed before the totals were deleted
	frappe.db.delete(DOCTYPE)
	frappe.db.sql(
		f"""insert into `tab{DOCTYPE}`
			(name, creation, modified, owner, modified_by, sent_on, sender_name, status, message_class,
			{", ".join(TOTALS)})
		select sha1(concat_ws('|', ifnull(sent_on, ''), ifnull(sender_name, ''), ifnull(status, ''),
				ifnull(message_class, %(default_class)s))),
			%(now)s, %(now)s, 'Administrator', 'Administrator', sent_on, ifnull(sender_name, ''),
			status, ifnull(message_class, %(default_class)s), count(*), sum(noofrequested_sms),
			sum(noofsent_sms), sum(ifnull(noofskipped_sms, 0)), sum(segments * noofsent_sms)
		from `tabSMS Log`
		group by sent_on, ifnull(sender_name, ''), ifnull(status, ''), ifnull(message_class, %(default_class)s)
		on duplicate key update {ON_DUPLICATE}""",
		{"now": now(), "default_class": TRANSACTIONAL},
	)
	frappe.db.commit()


def _apply(signed_logs: list[tuple]):
	"""Add each (log, sign) to its totals: one upsert, its rows in name order."""
	changes = defaultdict(lambda: [0] * len(TOTALS))
	for log, sign in signed_logs:
		key, values = counts(log)
		changes[key] = [total + sign * value for total, value in zip(changes[key], values, strict=True)]
	rows = sorted((_name(key), *key, *values) for key, values in changes.items() if any(values))
	if not rows:
		return
	stamp = now()
	row = "(%s, %s, %s, 'Administrator', 'Administrator', nullif(%s, ''), %s, %s, %s, %s, %s, %s, %s, %s)"
	frappe.db.sql(
		f"""insert into `tab{DOCTYPE}`
			(name, creation, modified, owner, modified_by, sent_on, sender_name, status, message_class,
			{", ".join(TOTALS)})
		values {", ".join([row] * len(rows))}
		on duplicate key update {ON_DUPLICATE}""",
		[value for name, *rest in rows for value in (name, stamp, stamp, *rest)],
	)
	if emptied := [name for name, _day, _sender, _status, _class, logs, *_sums in rows if logs < 0]:
		frappe.db.delete(DOCTYPE, {"name": ("in", emptied), "logs": 0})


def _name(key: tuple) -> str:
	"""The name of a day's totals for a sender, status and class: the same as `rebuild` gives it."""
	return hashlib.sha1("|".join(key).encode()).hexdigest()
