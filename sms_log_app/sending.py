"""Send SMS and log them, the log always first: no request reaches the gateway before its log and a
row for its number are committed (`log_writer.start_log`); the outcomes follow in one more commit.

Every send but OTPs and raw `send_request` calls comes through `send_and_log`, so this is also where
a send that a user starts over HTTP is refused when the user may not make it (`send_permission`),
a promotional send without its -AD sender ID is refused (`promotional_rules`), a send asked for later
or outside the promotional sending hours is held (`scheduled_sends`), and where a send too big to make
inside a request is handed to a background job (`bulk_send`).
"""

import dataclasses

import frappe

from sms_log_app import (
	account_refusals,
	bulk_send,
	log_writer,
	opt_out_link,
	promotional_rules,
	references,
	scheduled_sends,
	send_notices,
	send_permission,
)
from sms_log_app.gateway import GatewayConfig, Outcome, deliver
from sms_log_app.gateway_rate import SiteRate
from sms_log_app.gateway_settings import gateway_config, read_outcomes
from sms_log_app.masking import mask_codes
from sms_log_app.recovery import Attempts
from sms_log_app.send_input import Send, check_recipient_count, check_send
from sms_log_app.site_region import site_region
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings

SCHEDULED_JOB = "frappe.core.doctype.scheduled_job_type.scheduled_job_type.run_scheduled_job"


def send_and_log(
	numbers: list[str],
	message: str,
	sender_name: str | None = None,
	success_msg=False,
	log_fields: dict | None = None,
) -> str | None:
	"""Send `message` to each number through the gateway in SMS Settings and record one SMS Log,
	with `log_fields` (such as resent_from) set on it; return the log's name (None when a Notification
	fired by the public passed its cap: nothing was sent)."""
	settings = get_settings()
	user_send = send_permission.is_http_send(notification=references.notification())
	if user_send:
		send_permission.check_sender(len(numbers))
	check_recipient_count(len(numbers), settings.max_recipients)
	send = checked(numbers, message, sender_name)
	log_fields = {**references.current(), **(log_fields or {})}
	message_class = log_fields.get("message_class")
	config = gateway_config(settings.gateway_timeout, message_class)
	if promotional_rules.apply_to(message_class):
		promotional_rules.check_sender_id(config, len(send.numbers))
	if user_send:
		send_permission.take_parts(len(send.numbers), send.message)
	elif references.notification():
		if not send_permission.take_notification_parts(len(send.numbers), send.message):
			return None  # refused and recorded; the document that fired it is saved all the same
	if until := scheduled_sends.held_until(message_class):
		log_name = scheduled_sends.hold(send, log_fields, until)
		if success_msg:
			send_notices.show_scheduled(len(send.numbers), log_name, until)
		return log_name
	if len(send.numbers) > settings.queue_threshold:
		log_name = bulk_send.queue_send(send, log_fields)
		if success_msg:
			send_notices.show_queued(len(send.numbers), log_name)
		return log_name
	log_name, outcomes = send_logged(config, send, log_fields=log_fields, deadline=settings.send_deadline)
	if success_msg:
		send_notices.show_summary(outcomes, log_name, skipped=len(send.numbers) - len(outcomes))
	return log_name


def checked(numbers: list[str], message: str, sender_name: str | None) -> Send:
	"""The send as it will go out and be recorded, or a clear refusal (`send_input`)."""
	return check_send(
		numbers,
		message,
		sender_name or default_sender_name(),
		max_parts=get_settings().max_parts_per_message,
		region=site_region(),
	)


def send_logged(
	config: GatewayConfig,
	send: Send,
	*,
	log_fields: dict | None = None,
	deadline: float | None = None,
	mask: bool = False,
	first: bool = False,
) -> tuple[str, list[Outcome]]:
	"""Write the log, send at the site's rate (`gateway_rate`), record the outcomes; return the log's
	name and the outcomes. `log_fields` are further SMS Log fields (the reference, resent_from). With
	`mask`, one-time codes are kept out of the log (the message and the gateway's answers); with
	`first` (a one-time code), the send goes ahead of every other."""
	log = log_writer.start_log(
		message=mask_codes(send.message) if mask else send.message,
		numbers=send.numbers,
		sender_name=send.sender_name,
		log_fields=log_fields,
		notes=send.notes,
	)
	rows = log.rows_to_send()
	if not rows:
		return log.name, []  # every number skipped: the log is Not Sent
	# with one number, a dead send's row is unconfirmed anyway: no need to note how far it got
	attempts = Attempts(log.name) if len(send.numbers) > 1 else None
	rate = SiteRate(get_settings().messages_per_second)
	noted = -1

	def before_request(last: int) -> bool:
		# a request carries the numbers after the last one noted, up to `last`
		nonlocal noted
		rate.wait(last - noted, first=first)
		noted = last
		# the note is the row's own index, skipped rows counted: recovery reads it against idx
		return attempts.note(rows[last]["idx"] - 1) if attempts else True

	message = opt_out_link.personal(send.message)
	numbers = [row["number"] for row in rows]
	outcomes = read_outcomes(
		deliver(config, numbers, message, deadline=deadline, before_request=before_request), config
	)
	log_writer.finish_log(log, [_masked(o) for o in outcomes] if mask else outcomes)
	if attempts:
		attempts.clear()
	account_refusals.after_send(log.name, outcomes)
	return log.name, outcomes


def _masked(outcome: Outcome) -> Outcome:
	"""The outcome with codes masked in what the gateway answered (some gateways echo the text)."""
	return dataclasses.replace(
		outcome,
		error=mask_codes(outcome.error) if outcome.error else None,
		response=mask_codes(outcome.response) if outcome.response else None,
	)


def default_sender_name() -> str:
	"""The session user's full name, or the service that sent the SMS from a background job."""
	user = frappe.session.user
	job = getattr(frappe.local, "job", None)
	if job and user in ("Administrator", "Guest"):
		return "Scheduler" if job.method == SCHEDULED_JOB else "Background Job"
	return frappe.utils.get_fullname(user)
