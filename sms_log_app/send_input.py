"""Check what a send carries before anything goes out: the numbers, the message and the sender name.

Each value must fit the column the log keeps it in, since a log that cannot be written would leave an
SMS without its record. A message too long to record, or longer than the parts the settings allow,
is refused; a sender name or a "number" too long for its column is stored cut, and the log's notes
say so; a number listed twice (the same E.164 number) is sent once, and the notes say that too.
"""

import json
from collections import Counter
from dataclasses import dataclass, field

import frappe
from frappe import _

from sms_log_app import opt_out_link
from sms_log_app.numbers import to_e164
from sms_log_app.segments import count_segments

DATA_LENGTH = 140  # characters of a Data column: the sender name, a recipient's number
TEXT_BYTES = 65_535  # bytes of a Small Text column (MariaDB's `text`): the message
# of a receiver list's JSON, per recipient a send may have: a number with its quotes, comma and spaces
CHARACTERS_PER_RECIPIENT = 64


class TooManyRecipients(frappe.ValidationError):
	pass


class InvalidReceiverList(frappe.ValidationError):
	pass


class InvalidMessage(frappe.ValidationError):
	pass


@dataclass
class Send:
	"""A send as it will go out and be recorded."""

	numbers: list[str]
	message: str
	sender_name: str
	notes: list[str] = field(default_factory=list)


def parse_receiver_list(receiver_list, max_recipients: int | None = None) -> list[str]:
	"""Accept what `send_sms` accepts (a list, or JSON of a list or of one number) and refuse the rest
	with a clear message instead of a traceback. With `max_recipients`, a list longer than that, or
	JSON too long to hold no more, is refused before it is parsed any further."""
	if isinstance(receiver_list, str):
		if max_recipients and len(receiver_list) > max_recipients * CHARACTERS_PER_RECIPIENT:
			frappe.throw(
				_("The receiver list is {0} characters long; a send takes at most {1}.").format(
					len(receiver_list), max_recipients * CHARACTERS_PER_RECIPIENT
				),
				TooManyRecipients,
			)
		try:
			receiver_list = json.loads(receiver_list)
		except ValueError:
			frappe.throw(_("The receiver list must be a JSON list of mobile numbers."), InvalidReceiverList)
	if isinstance(receiver_list, str | int):
		receiver_list = [receiver_list]
	if not isinstance(receiver_list, list | tuple):
		frappe.throw(_("The receiver list must be a list of mobile numbers."), InvalidReceiverList)
	if max_recipients:
		check_recipient_count(len(receiver_list), max_recipients)
	if not all(map(_is_number_or_blank, receiver_list)):
		frappe.throw(_("The receiver list must be a list of mobile numbers."), InvalidReceiverList)
	return [str(number).strip() for number in receiver_list if number is not None]


def check_recipient_count(count: int, max_recipients: int):
	"""Refuse a send to more than `max_recipients` numbers (as listed, before any is normalised)."""
	if count > max_recipients:
		frappe.throw(
			_("A send can queue at most {0} recipients; this one has {1}. Split the list.").format(
				max_recipients, count
			),
			TooManyRecipients,
		)


def _is_number_or_blank(value) -> bool:
	return value is None or (isinstance(value, str | int) and not isinstance(value, bool))


def decode_message(msg) -> str:
	"""The message as text; bytes must be UTF-8, and an empty message is refused."""
	if isinstance(msg, bytes):
		try:
			msg = msg.decode("utf-8")
		except UnicodeDecodeError:
			frappe.throw(_("The message is not valid UTF-8 text."), InvalidMessage)
	if not isinstance(msg, str) or not msg.strip():
		frappe.throw(_("The message is empty."), InvalidMessage)
	return msg


def check_send(
	numbers: list[str], message: str, sender_name: str, *, max_parts: int, region: str | None
) -> Send:
	"""The send to make and record, or a refusal (`InvalidMessage`) before anything is sent."""
	check_message(message, max_parts)
	send = Send(numbers=[], message=message, sender_name=sender_name)
	if len(sender_name) > DATA_LENGTH:
		send.sender_name = sender_name[:DATA_LENGTH]
		send.notes.append(f"Sender name cut to {DATA_LENGTH} of its {len(sender_name)} characters")
	for number in numbers:
		if len(number) > DATA_LENGTH:  # never dialable, cut or not: recorded as not sent
			send.notes.append(f"A number of {len(number)} characters was cut to {DATA_LENGTH}")
	send.numbers, listed = unique_numbers([n[:DATA_LENGTH] for n in numbers], region)
	send.notes.extend(f"Listed {times} times, sent once: {number}" for number, times in listed.items())
	return send


def check_message(message: str, max_parts: int):
	"""Refuse a message longer than `max_parts` SMS parts, or too large to record."""
	if len(message.encode()) > TEXT_BYTES:
		frappe.throw(
			_("The message is {0} bytes long; an SMS Log can keep at most {1}.").format(
				len(message.encode()), TEXT_BYTES
			),
			InvalidMessage,
		)
	encoding, parts = count_segments(opt_out_link.as_counted(message))
	if parts > max_parts:
		frappe.throw(
			_(
				"The message takes {0} SMS parts ({1}); at most {2} are allowed (SMS Log Settings: Most Parts per Message)."
			).format(parts, encoding, max_parts),
			InvalidMessage,
		)


def unique_numbers(numbers: list[str], region: str | None) -> tuple[list[str], dict[str, int]]:
	"""The numbers without repeats of one E.164 number (the first spelling kept), and how many times
	each repeated number was listed."""
	keys = [to_e164(number, region) or number for number in numbers]
	times = Counter(keys)
	seen, unique = set(), []
	for number, key in zip(numbers, keys, strict=True):
		if key not in seen:
			seen.add(key)
			unique.append(number)
	return unique, {key: count for key, count in times.items() if count > 1}
