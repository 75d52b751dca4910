"""The URL gateways call to report delivery, and how a report updates an SMS Log."""

import secrets

import frappe
from frappe import _
from frappe.utils import add_days, convert_utc_to_system_timezone, get_datetime, get_url, now_datetime
from frappe.utils.password import get_decrypted_password

from sms_log_app import daily_totals
from sms_log_app.client_address import client_ip
from sms_log_app.delivery import Report, parse_report
from sms_log_app.gateway_settings import site_profile
from sms_log_app.send_input import DATA_LENGTH
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings
from sms_log_app.status import QUEUED, SENDING, next_delivery_status, status_of_rows

SECRET_PARAMETER = "secret"
PROVIDER_FORMAT = "Provider"  # the report format of the provider chosen in SMS Settings
SECRET_HEADER = "X-SMS-Log-Secret"
KEPT = "SMS Delivery Report"
UNMATCHED, APPLIED = "Unmatched", "Applied"
WAITING_DAYS = 1  # how long an unmatched report is tried again each minute; it is kept after that too


# A sent SMS may be reported twice (Twilio's "sent", then "delivered"), and every report of a bulk
# send may come from one address (the provider's, or the proxy in front of the site).
REPORTS_PER_MESSAGE = 2


def _reports_per_minute() -> int:
	"""Reports Accepted per Minute, or what the site's bulk speed calls for, where that is more: the
	reports a minute of sending at Gateway Messages per Second brings."""
	settings = get_settings()
	bulk_reports = REPORTS_PER_MESSAGE * 60 * (settings.messages_per_second or 0)
	return max(settings.delivery_reports_per_minute, int(bulk_reports))


@frappe.whitelist(allow_guest=True, methods=["GET", "POST"])
def receive(**payload):
	"""Take a delivery report: /api/method/sms_log_app.delivery_reports.receive?secret=<secret>.

	Answers 403 for a wrong or missing secret and 429 past Reports Accepted per Minute from one client
	address. Every other report is kept as it arrived (SMS Delivery Report) and applied to its
	recipient; one whose message id no log knows yet (a gateway may report before the send has
	recorded the id) is answered 202 and stays Unmatched until `apply_waiting_reports` finds its row.
	The secret is checked first, so that requests without it, from forged addresses or not, never use
	up the gateway's rate limit.
	"""
	frappe.local.flags.commit = True  # Frappe commits GET requests only when asked to
	# A JSON body hides the query string from form_dict, so read the secret from the URL itself too.
	_check_secret(
		payload.pop(SECRET_PARAMETER, None)
		or frappe.request.args.get(SECRET_PARAMETER)
		or frappe.get_request_header(SECRET_HEADER)
	)
	_count_report()
	settings = get_settings()
	if settings.delivery_report_preset == PROVIDER_FORMAT:
		return _receive_in_provider_format(payload)
	report = parse_report(payload, settings.report_fields())
	if not report.message_id:
		frappe.throw(_("The delivery report carries no message id."))

	recipient = _recipient(report)
	kept = keep_report(report, payload, recipient)
	if not recipient:
		frappe.local.response.http_status_code = 202
		return {"kept": kept, "matched": False}
	return {"sms_log": recipient.parent, "changed": apply_report(recipient.parent, recipient.name, report)}


def _receive_in_provider_format(payload: dict) -> dict:
	"""The reports of one call in the format of the provider chosen in SMS Settings (`read_reports`),
	each matched by message id and, where one id covers a request of many numbers, by number."""
	provider = frappe.db.get_single_value("SMS Settings", "sms_provider")
	reports = site_profile(provider).read_reports(payload)
	if reports is None:
		frappe.throw(_("The provider chosen in SMS Settings has no delivery report format of its own."))
	applied, unknown = [], 0
	for report in reports:
		recipient = report.message_id and _recipient(report)
		keep_report(report, payload, recipient)
		if not recipient:
			unknown += 1
			continue
		applied.append(
			{"sms_log": recipient.parent, "changed": apply_report(recipient.parent, recipient.name, report)}
		)
	if reports and not applied:
		frappe.local.response.http_status_code = 202
	return {"applied": applied, "unknown": unknown}


def _recipient(report: Report):
	filters = {"message_id": report.message_id, "parenttype": "SMS Log"}
	if report.number:
		filters["normalized_number"] = report.number
	return frappe.db.get_value(
		"SMS Log Recipient", filters, ["name", "parent"], as_dict=True, order_by="creation desc"
	)


def keep_report(report: Report, payload: dict, recipient) -> str:
	"""Keep `report` as it arrived, Applied where its recipient is known, Unmatched otherwise."""
	kept = frappe.get_doc(
		{
			"doctype": KEPT,
			"status": APPLIED if recipient else UNMATCHED,
			"message_id": report.message_id and report.message_id[:DATA_LENGTH],
			"number": report.number and report.number[:DATA_LENGTH],
			"provider_status": report.provider_status[:DATA_LENGTH],
			"delivery_status": report.status,
			"reported_time": report.time and report.time[:DATA_LENGTH],
			"error": report.error and report.error[:DATA_LENGTH],
			"sms_log": recipient.parent if recipient else None,
			"applied_at": now_datetime() if recipient else None,
			"payload": frappe.as_json(payload),
		}
	)
	kept.db_insert()
	return kept.name


KEPT_FIELDS = ["name", "message_id", "number", "delivery_status", "provider_status", "reported_time", "error"]


def apply_waiting_reports():
	"""Apply the Unmatched reports of the last day whose recipient has become known since they came
	(scheduler, each minute: the backstop of `apply_reports_waiting_for`), oldest first; the others
	stay Unmatched and shown."""
	waiting = frappe.get_all(
		KEPT,
		filters={"status": UNMATCHED, "creation": (">", add_days(now_datetime(), -WAITING_DAYS))},
		fields=KEPT_FIELDS,
		order_by="creation",
	)
	for kept in waiting:
		if _apply_kept(kept):
			frappe.db.commit()


def apply_reports_waiting_for(message_ids):
	"""Apply the Unmatched reports of `message_ids` right as a send records them on its rows (in the
	send's transaction): one query on the indexed message id, which finds none in the usual case."""
	message_ids = sorted({m[:DATA_LENGTH] for m in message_ids if m})
	if not message_ids:
		return
	waiting = frappe.get_all(
		KEPT,
		filters={"status": UNMATCHED, "message_id": ("in", message_ids)},
		fields=KEPT_FIELDS,
		order_by="creation",
	)
	for kept in waiting:
		_apply_kept(kept)


def _apply_kept(kept) -> bool:
	"""Apply a kept Unmatched report where its recipient is known now; return whether it was."""
	report = Report(
		message_id=kept.message_id,
		number=kept.number,
		status=kept.delivery_status,
		provider_status=kept.provider_status or "",
		time=kept.reported_time,
		error=kept.error,
	)
	recipient = report.message_id and _recipient(report)
	if not recipient:
		return False
	apply_report(recipient.parent, recipient.name, report)
	frappe.db.set_value(
		KEPT,
		kept.name,
		{"status": APPLIED, "sms_log": recipient.parent, "applied_at": now_datetime()},
		update_modified=False,
	)
	return True


def _count_report():
	"""Count an authentic report against Reports Accepted per Minute of its client address, or refuse
	it with HTTP 429 past that."""
	key = report_counter_key(client_ip())
	count = frappe.cache.incrby(key, 1)
	if count == 1:
		frappe.cache.expire(key, 60)
	if count > _reports_per_minute():
		frappe.throw(
			_("Too many delivery reports from this address; try again in a minute."),
			frappe.RateLimitExceededError,
		)


def report_counter_key(address: str | None) -> str:
	"""The Redis key counting this minute's delivery reports from `address`."""
	return frappe.cache.make_key(f"sms_log_app:delivery_reports:{address or 'unknown'}")


def _check_secret(given: str | None):
	expected = get_decrypted_password(
		"SMS Log Settings", "SMS Log Settings", "delivery_report_secret", raise_exception=False
	)
	if not (given and expected and secrets.compare_digest(given.encode(), expected.encode())):
		frappe.throw(_("Wrong or missing delivery report secret."), frappe.PermissionError)


def apply_report(log_name: str, recipient_name: str, report: Report) -> bool:
	"""Record `report` on the recipient and roll the log's status up (once its send has completed);
	return whether anything changed.

	The log's row is locked first, so that concurrent reports for one log apply one after the other.
	"""
	log = frappe.db.get_value("SMS Log", log_name, daily_totals.COUNTED_FIELDS, as_dict=True, for_update=True)
	rows = frappe.get_all(
		"SMS Log Recipient",
		filters={"parent": log_name, "parenttype": "SMS Log"},
		fields=["name", "idx", "status", "delivery_status", "delivered_at", "delivery_error"],
		order_by="idx",
	)
	row = next(r for r in rows if r.name == recipient_name)
	new_delivery = next_delivery_status(row.delivery_status, report.status)
	if not new_delivery:
		return False

	changes = {
		"delivery_status": new_delivery,
		"delivered_at": _report_time(report),
		"delivery_error": report.error and report.error[:DATA_LENGTH],
	}
	frappe.db.set_value("SMS Log Recipient", row.name, changes, update_modified=False)
	row_changes = [
		[field, row.get(field), value] for field, value in changes.items() if row.get(field) != value
	]
	row.update(changes)

	log_changes = []
	# a send still going sets its status when it completes, reports that came meanwhile included
	new_status = (
		log.status
		if log.status in (QUEUED, SENDING)
		else status_of_rows([(r.status, r.delivery_status) for r in rows])
	)
	if new_status != log.status:
		frappe.db.set_value("SMS Log", log_name, "status", new_status)
		daily_totals.move(log, {**log, "status": new_status})
		log_changes = [["status", log.status, new_status]]

	# The log's history (track_changes), written directly: saving the log would rewrite every row.
	frappe.get_doc(
		{
			"doctype": "Version",
			"ref_doctype": "SMS Log",
			"docname": log_name,
			"data": frappe.as_json(
				{
					"changed": log_changes,
					"row_changed": [["recipients", row.idx - 1, row.name, row_changes]],
					"added": [],
					"removed": [],
				}
			),
		}
	).insert(ignore_permissions=True)
	return True


def _report_time(report: Report):
	"""The time the report states, in the site's time zone, or now when it states none we can read."""
	try:
		reported = get_datetime(report.time) if report.time else None
	except Exception:
		reported = None
	if reported and reported.tzinfo:
		return convert_utc_to_system_timezone(reported).replace(tzinfo=None)
	return reported or now_datetime()


@frappe.whitelist(methods=["POST"])
def rotate_secret() -> str:
	"""Make a new delivery report secret (the old one stops working) and return the URL to give gateways."""
	frappe.only_for("System Manager")
	secret = secrets.token_urlsafe(24)
	settings = frappe.get_doc("SMS Log Settings")
	settings.delivery_report_secret = secret
	settings.save()
	return get_url(f"/api/method/sms_log_app.delivery_reports.receive?{SECRET_PARAMETER}={secret}")
