"""Who may send SMS over HTTP, and how many: the rules of SMS Log Settings.

Frappe v15 lets any logged-in user, a Website User from the open signup included, send SMS through
the whitelisted `send_sms` to numbers and with a text of their own, paid for by the site. So a send
that a user starts over HTTP (Desk, REST, SMS Center, a transaction's Send SMS, Resend) goes out only
when `check_sender` and `take_parts` let it, before anything reaches the gateway:

- Guests and Website Users never send; Desk users send when they have a role listed in the settings,
  or when none is listed;
- each user has an hourly cap and the site a daily one, counted in SMS parts (recipients times the
  message's segments, as gateways bill) in Redis, over fixed windows (the clock hour, the calendar
  day in the site's time zone). One Lua script checks and takes from every counter at once, so
  parallel requests cannot together slip past a cap.

Sends the site makes itself are neither refused nor counted by those caps: Notifications, OTPs,
background and scheduled jobs, the console. One-time codes have caps of their own (`take_otp`), per
user and per number. Each refusal is recorded in SMS Send Refusal, once per user, reason and
minute with the attempts counted, so that a refused user cannot flood the database.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import frappe
from frappe import _
from frappe.utils import get_fullname, get_system_timezone, now_datetime

from sms_log_app import log_writer, opt_out_link
from sms_log_app.client_address import client_ip
from sms_log_app.numbers import to_e164
from sms_log_app.segments import count_segments
from sms_log_app.site_region import site_region
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import SMSLogSettings, get_settings

# SMS Send Refusal reasons
ROLE, HOURLY_CAP, DAILY_CAP = "Role", "Hourly Cap", "Daily Cap"
ADDRESS_NOTIFICATION_CAP, SITE_NOTIFICATION_CAP = "Notification Address Cap", "Notification Site Cap"
USER_OTP_CAP, NUMBER_OTP_CAP = "OTP User Cap", "OTP Number Cap"
SYSTEM_MANAGER = "System Manager"
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")  # the HTTP methods Frappe checks the CSRF token on
DESK_USER = "System User"  # the user_type of Desk users

# KEYS: the counters; ARGV: the recipients, then each counter's cap (0 for none) and lifetime in
# seconds. Checks every counter before adding to any, so a refused send takes nothing. Returns
# {0, 0} when taken, else {i, count}: the first counter the send would pass, and its count.
TAKE_RECIPIENTS = """
local wanted = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
	local cap = tonumber(ARGV[2 * i])
	local count = tonumber(redis.call('GET', key) or '0')
	if cap > 0 and count + wanted > cap then
		return {i, count}
	end
end
for i, key in ipairs(KEYS) do
	redis.call('INCRBY', key, wanted)
	redis.call('EXPIRE', key, ARGV[2 * i + 1])
end
return {0, 0}
"""


# The sender names the app gives SMS it sends itself (capture.OTP_SENDER, sending.default_sender_name)
APP_SENDER_NAMES = ("Scheduler", "Background Job", "Two-Factor Authentication")


class SMSCapExceeded(frappe.RateLimitExceededError):
	"""A send would pass a recipient cap; Frappe answers HTTP 429."""


class ReservedSenderName(frappe.ValidationError):
	"""A caller named the sender with one of the names the app keeps for its own SMS."""


@dataclass(frozen=True)
class Cap:
	reason: str
	key: bytes
	limit: int  # 0: counted, never refused
	resets_at: datetime


def is_http_send(notification: str | None = None) -> bool:
	"""Whether a send is one a user starts over HTTP: inside a web request, and not a Notification's."""
	return getattr(frappe.local, "request", None) is not None and not notification


def check_sender(recipients: int):
	"""Refuse, with `frappe.PermissionError` (HTTP 403), a send to `recipients` numbers by a user who
	may not send SMS, or in a GET (or HEAD) request.

	Frappe checks the CSRF token on unsafe methods only, so a link or an image URL could otherwise send
	on a logged-in user's session, through any module's name for the whitelisted `send_sms` (the
	Notification module and SMS Center import it by name, before the app wraps it).
	"""
	if frappe.local.request.method not in UNSAFE_METHODS:
		frappe.throw(_("SMS are sent by POST only."), frappe.PermissionError)
	user = frappe.session.user
	if not may_send(user, get_settings()):
		refuse(user, ROLE, recipients, _("You are not permitted to send SMS."), frappe.PermissionError)


def take_parts(recipients: int, message: str):
	"""Count a send of `message` to `recipients` numbers, in SMS parts (recipients times the message's
	segments, what the gateway bills), against the session user's and the site's caps, or refuse it
	whole, with `SMSCapExceeded` (HTTP 429), where it would pass one."""
	user = frappe.session.user
	now = now_datetime()
	segments = count_segments(opt_out_link.as_counted(message))[1]
	parts = recipients * segments
	caps = recipient_caps(user, get_settings(), now)
	passed, count = frappe.cache.register_script(TAKE_RECIPIENTS)(
		keys=[cap.key for cap in caps],
		args=[parts, *[v for cap in caps for v in (cap.limit, seconds_until(cap.resets_at, now))]],
	)
	if passed:
		cap = caps[passed - 1]
		refuse(user, cap.reason, recipients, cap_message(cap, count, recipients, segments), SMSCapExceeded)


def take_notification_parts(recipients: int, message: str) -> bool:
	"""Whether a Notification's SMS of `message` to `recipients` numbers may go out.

	Inside a Guest's or a Website User's request (a web form, a signup, a portal document) it counts,
	in SMS parts, against the hourly caps of the client address and of the site: otherwise a
	Notification that texts a number typed into a public form would be a free SMS gateway. Past a
	cap the refusal is recorded and nothing is sent, but nothing is raised either, so that the
	document that fired the Notification is saved all the same. Desk users' and the scheduler's
	Notifications are not counted.
	"""
	if not is_public_request():
		return True
	settings = get_settings()
	now = now_datetime()
	hour = now.replace(minute=0, second=0, microsecond=0)
	resets_at = hour + timedelta(hours=1)
	address = client_ip() or "unknown"
	caps = [
		Cap(
			ADDRESS_NOTIFICATION_CAP,
			counter_key(f"notification:address:{address}:{hour:%Y%m%d%H}"),
			settings.hourly_notification_parts_per_address,
			resets_at,
		),
		Cap(
			SITE_NOTIFICATION_CAP,
			counter_key(f"notification:site:{hour:%Y%m%d%H}"),
			settings.hourly_notification_parts_for_site,
			resets_at,
		),
	]
	parts = recipients * count_segments(opt_out_link.as_counted(message))[1]
	passed, _count = frappe.cache.register_script(TAKE_RECIPIENTS)(
		keys=[cap.key for cap in caps],
		args=[parts, *[v for cap in caps for v in (cap.limit, seconds_until(cap.resets_at, now))]],
	)
	if passed:
		record_refusal(frappe.session.user, caps[passed - 1].reason, recipients)
		return False
	return True


def take_otp(user: str, number: str) -> bool:
	"""Whether a one-time code for `user` may go to `number`, counted against the hourly caps of the
	user and of the number (in E.164, so that every spelling counts as one).

	Two-factor login sends a code at each correct password without one, to a mobile number users may
	set themselves: uncapped, a looped login would send an SMS a request to any number, premium-rate
	ones included. Past a cap the refusal is recorded and no code is sent.
	"""
	settings = get_settings()
	now = now_datetime()
	hour = now.replace(minute=0, second=0, microsecond=0)
	resets_at = hour + timedelta(hours=1)
	normalized = to_e164(number, site_region()) or number
	caps = [
		Cap(
			USER_OTP_CAP,
			counter_key(f"otp:user:{user}:{hour:%Y%m%d%H}"),
			settings.hourly_otps_per_user,
			resets_at,
		),
		Cap(
			NUMBER_OTP_CAP,
			counter_key(f"otp:number:{normalized}:{hour:%Y%m%d%H}"),
			settings.hourly_otps_per_number,
			resets_at,
		),
	]
	passed, _count = frappe.cache.register_script(TAKE_RECIPIENTS)(
		keys=[cap.key for cap in caps],
		args=[1, *[v for cap in caps for v in (cap.limit, seconds_until(cap.resets_at, now))]],
	)
	if passed:
		record_refusal(user, caps[passed - 1].reason, 1)
		return False
	return True


def is_public_request() -> bool:
	"""Whether the current web request is a Guest's or a Website User's."""
	if getattr(frappe.local, "request", None) is None:
		return False
	user = frappe.session.user
	return user == "Guest" or frappe.get_cached_value("User", user, "user_type") != DESK_USER


def sender_name_for(requested: str | None) -> str | None:
	"""The sender name to record for a send through `send_sms` that names `requested`.

	Over HTTP it is the session user's full name unless the user has a role in *Roles That May Set
	Sender Name*, so that nobody can make the log say an SMS came from someone else. The names the
	app gives its own SMS are refused from any caller: they would also stop Resend of an OTP-like log.
	"""
	requested = (requested or "").strip()
	if requested.casefold() in {name.casefold() for name in APP_SENDER_NAMES}:
		frappe.throw(
			_("{0} is the sender name of SMS the site sends itself; choose another.").format(
				frappe.bold(requested)
			),
			ReservedSenderName,
		)
	if not is_http_send():
		return requested or None
	user = frappe.session.user
	if requested and may_set_sender_name(user, get_settings()):
		return requested
	return get_fullname(user)


def may_set_sender_name(user: str, settings: SMSLogSettings) -> bool:
	listed = {row.role for row in settings.sender_name_roles}
	return not listed.isdisjoint(frappe.get_roles(user))


def may_send(user: str, settings: SMSLogSettings) -> bool:
	"""Desk users with a listed role, or any Desk user when no role is listed; never anyone else."""
	if user == "Guest" or frappe.get_cached_value("User", user, "user_type") != DESK_USER:
		return False
	listed = {row.role for row in settings.sender_roles}
	return not listed or not listed.isdisjoint(frappe.get_roles(user))


def recipient_caps(user: str, settings: SMSLogSettings, now: datetime) -> list[Cap]:
	"""The user's cap for this clock hour and the site's for this day, with their Redis counters."""
	hour = now.replace(minute=0, second=0, microsecond=0)
	day = hour.replace(hour=0)
	per_user = (
		settings.hourly_recipients_per_system_manager
		if SYSTEM_MANAGER in frappe.get_roles(user)
		else settings.hourly_recipients_per_user
	)
	return [
		Cap(HOURLY_CAP, counter_key(f"user:{user}:{hour:%Y%m%d%H}"), per_user, hour + timedelta(hours=1)),
		Cap(
			DAILY_CAP,
			counter_key(f"site:{day:%Y%m%d}"),
			settings.daily_recipients_for_site or 0,
			day + timedelta(days=1),
		),
	]


def counter_key(name: str) -> bytes:
	"""A Redis key of this site for the recipient counter `name`."""
	return frappe.cache.make_key(f"sms_log_app:recipients:{name}")


def seconds_until(moment: datetime, now: datetime) -> int:
	# a minute more, so that a counter outlives its window even where the clocks differ a little
	return math.ceil((moment - now).total_seconds()) + 60


def cap_message(cap: Cap, count: int, recipients: int, segments: int = 1) -> str:
	resets_at = f"{cap.resets_at:%Y-%m-%d %H:%M} ({get_system_timezone()})"
	if cap.reason == HOURLY_CAP:
		text = _(
			"You may send at most {0} SMS parts an hour; {1} are used, and this send needs {2} ({3} recipients × {4} parts per message), so it is refused. The limit resets at {5}."
		)
	else:
		text = _(
			"This site may send at most {0} SMS parts a day; {1} are used, and this send needs {2} ({3} recipients × {4} parts per message), so it is refused. The limit resets at {5}."
		)
	return text.format(cap.limit, count, recipients * segments, recipients, segments, resets_at)


def refuse(user: str, reason: str, recipients: int, message: str, exception: type[Exception]):
	record_refusal(user, reason, recipients)
	frappe.throw(message, exception, title=_("SMS not sent"))


def record_refusal(user: str, reason: str, recipients: int):
	"""Count the refused attempt on the record of this user, reason and minute, creating it if need be.

	It is committed on a connection of its own, since the refusal rolls the request back. One
	INSERT … ON DUPLICATE KEY UPDATE on a name derived from the three makes parallel refusals add up
	on one record instead of racing to create several.
	"""
	now = now_datetime()
	minute = now.replace(second=0, microsecond=0)
	row = {
		"name": hashlib.sha1(f"{user}\n{reason}\n{minute}".encode()).hexdigest()[:10],
		"creation": now,
		"modified": now,
		"owner": user,
		"modified_by": user,
		"user": user,
		"full_name": get_fullname(user),
		"reason": reason,
		"ip_address": client_ip(),
		"first_attempt": now,
		"last_attempt": now,
		"attempts": 1,
		"recipients": recipients,
	}
	table = frappe.qb.DocType("SMS Send Refusal")
	try:
		with log_writer.separate_connection():
			(
				frappe.qb.into(table)
				.columns(*row)
				.insert(*row.values())
				.on_duplicate_key_update(table.attempts, table.attempts + 1)
				.on_duplicate_key_update(table.recipients, table.recipients + recipients)
				.on_duplicate_key_update(table.last_attempt, now)
				.on_duplicate_key_update(table.modified, now)
				.run()
			)
	except Exception:
		# the attempt is refused all the same; a database too busy to record it must not let it through
		frappe.logger("sms_log_app").exception(
			"SMS Send Refusal could not be recorded: user=%s reason=%s recipients=%s",
			user,
			reason,
			recipients,
		)
