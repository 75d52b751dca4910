"""Statuses of a log and of its recipients."""

SENT = "Sent"
PARTIALLY_SENT = "Partially Sent"
FAILED = "Failed"


def log_status(requested: int, sent: int) -> str:
	"""The status of a send from how many recipients were requested and how many the gateway accepted."""
	if requested and sent >= requested:
		return SENT
	return PARTIALLY_SENT if sent else FAILED
