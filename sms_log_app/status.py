"""Statuses of a log and of its recipients, and how delivery reports move them."""

# A log, and a recipient, waiting for the background job (bulk_send)
QUEUED = "Queued"
# A log whose requests are going out, and a recipient claimed for its request: both are committed
# before the request, so a process that dies in the middle leaves them behind (see `recovery`)
SENDING = "Sending"
# A log, after the send
SENT = "Sent"
PARTIALLY_SENT = "Partially Sent"
FAILED = "Failed"
# A recipient whose request may or may not have reached the gateway (no answer, or its sender died),
# and a log with such recipients and none known to be sent: never resent without the user's say
UNCONFIRMED = "Unconfirmed"
# A log held for later (a time to send, or a promotional send outside the sending hours), and one
# whose unsent recipients were cancelled by a user, or that had no recipient left to send to
SCHEDULED = "Scheduled"
CANCELLED = "Cancelled"
NOT_SENT = "Not Sent"
# A recipient never sent to by the app's decision, before any request: the number opted out of
# promotional SMS, the same message went to it a moment ago, a user cancelled the send, or the send
# could not go out before its validity ended (its error says which)
OPTED_OUT = "Opted Out"
DUPLICATE = "Duplicate"
# (CANCELLED, and EXPIRED below)
# A log, once delivery reports arrive
DELIVERED = "Delivered"
PARTIALLY_DELIVERED = "Partially Delivered"
UNDELIVERED = "Undelivered"

# A recipient's delivery, as reported by the gateway afterwards
PENDING = "Pending"  # accepted by the gateway, no final report yet
EXPIRED = "Expired"
REJECTED = "Rejected"
UNKNOWN = "Unknown"
FINAL_DELIVERY = (DELIVERED, UNDELIVERED, EXPIRED, REJECTED, FAILED)
# the recipients never sent to by the app's decision (EXPIRED as a row's status, too); of them, those the
# send was never meant to reach count neither for nor against it
SKIPPED = (OPTED_OUT, DUPLICATE, CANCELLED, EXPIRED)
NOT_COUNTED = (OPTED_OUT, DUPLICATE)

# Desk's indicator colour for each status of a log, and of a recipient's outcome (anything else is a
# failure: red). The list, the form and the timeline use it; Desk gets it at boot (`boot.py`).
INDICATOR_COLORS = {
	SENT: "blue",
	PARTIALLY_SENT: "orange",
	FAILED: "red",
	DELIVERED: "green",
	PARTIALLY_DELIVERED: "yellow",
	UNDELIVERED: "red",
	QUEUED: "gray",
	SENDING: "light-blue",
	UNCONFIRMED: "purple",
	SCHEDULED: "cyan",
	CANCELLED: "gray",
	NOT_SENT: "gray",
	OPTED_OUT: "gray",
	DUPLICATE: "gray",
}


def log_status(requested: int, sent: int, unconfirmed: int = 0) -> str:
	"""The status of a send from how many recipients were requested, how many the gateway accepted and
	how many may or may not have reached it. Failed only when nothing can have gone out."""
	if requested and sent >= requested:
		return SENT
	if sent:
		return PARTIALLY_SENT
	return UNCONFIRMED if unconfirmed else FAILED


def recipient_status(accepted: bool, unconfirmed: bool = False) -> str:
	"""A recipient's status from what the gateway answered to its request."""
	if accepted:
		return SENT
	return UNCONFIRMED if unconfirmed else FAILED


def next_delivery_status(current: str | None, reported: str) -> str | None:
	"""The recipient's delivery status after a report, or None when the report changes nothing.

	A final status is never replaced: a duplicate, or a late "sent" arriving after "delivered",
	leaves it as it is.
	"""
	if current in FINAL_DELIVERY or current == reported:
		return None
	if current == PENDING and reported == UNKNOWN:
		return None
	return reported


def rolled_up_status(send_status: str, deliveries: list[str | None]) -> str:
	"""The log's status from the delivery status of each requested recipient (None: never sent)."""
	delivered = deliveries.count(DELIVERED)
	if delivered and delivered == len(deliveries):
		return DELIVERED
	if delivered:
		return PARTIALLY_DELIVERED
	sent = [d for d in deliveries if d]
	if sent and all(d in FINAL_DELIVERY for d in sent):
		return UNDELIVERED
	return send_status


def status_of_rows(rows: list[tuple[str, str | None]]) -> str:
	"""A finished send's status from each recipient's (status, delivery status). Opted-out and duplicate
	recipients do not count. Where nothing can have gone out: Cancelled when a user cancelled some of
	it, Not Sent when every row was withheld (expired, opted out, duplicate)."""
	rows = [(status, delivery) for status, delivery in rows if status not in NOT_COUNTED]
	if not rows:
		return NOT_SENT
	sent = sum(status == SENT for status, _ in rows)
	unconfirmed = sum(status == UNCONFIRMED for status, _ in rows)
	if not sent and not unconfirmed:
		statuses = {status for status, _ in rows}
		if CANCELLED in statuses:
			return CANCELLED
		if statuses <= set(SKIPPED):
			return NOT_SENT
	deliveries = [delivery or (PENDING if status == SENT else None) for status, delivery in rows]
	return rolled_up_status(log_status(len(rows), sent, unconfirmed), deliveries)
