"""How long a send stays valid (SMS Log Settings' *Validity*): one that could not go out in time is not
sent late. Checked where a recipient is claimed for sending (`bulk_send`), which every held, scheduled
and queued send goes through."""

from datetime import datetime

from frappe import _
from frappe.utils import format_datetime

from sms_log_app.references import OTP, PROMOTIONAL
from sms_log_app.send_times import expires_at
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings

VALIDITY_FIELDS = {PROMOTIONAL: "promotional_validity", OTP: "otp_validity"}  # else transactional_validity


def end_of_validity(message_class: str | None, scheduled_for: datetime | None, sent_at: datetime | None):
	"""When a send of `message_class` stops being valid, counted from the time it was scheduled for,
	else from when it was asked for (its log was written); None: never."""
	start = scheduled_for or sent_at
	minutes = get_settings().get(VALIDITY_FIELDS.get(message_class, "transactional_validity"))
	return expires_at(start, minutes) if start else None


def expired_error(message_class: str | None, ends: datetime) -> str:
	"""What an Expired row says."""
	return _("Not sent: the validity of this {0} SMS ended at {1}, before it could go out.").format(
		_(message_class or "Transactional"), format_datetime(ends)
	)
