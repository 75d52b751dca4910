"""Statuses of a log and of its recipients, and how delivery reports move them."""

# A log, and a recipient, waiting for the background job (bulk_send)
QUEUED = "Queued"
# A recipient whose request is going out
SENDING = "Sending"
# A log, after the send
SENT = "Sent"
PARTIALLY_SENT = "Partially Sent"
FAILED = "Failed"
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


def log_status(requested: int, sent: int) -> str:
	"""The status of a send from how many recipients were requested and how many the gateway accepted."""
	if requested and sent >= requested:
		return SENT
	return PARTIALLY_SENT if sent else FAILED


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
