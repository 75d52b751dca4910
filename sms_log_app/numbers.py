"""Phone numbers as the log stores them: cleaned as Frappe cleans them, and normalised to E.164."""

import re

import phonenumbers

# After Frappe's clean-up (spaces, dashes and brackets removed) a number a gateway can dial is
# digits with an optional leading "+".
_DIALABLE = re.compile(r"\+?\d{3,20}")


def is_dialable(number: str) -> bool:
	return bool(_DIALABLE.fullmatch(number))


def to_e164(number: str, region: str | None = None) -> str | None:
	"""Normalise `number` to E.164, reading national numbers as numbers of `region` (ISO 3166 alpha-2).

	A number written with its country code but without "+" (966500000001) is recognised too.
	Returns None for text that is not a possible phone number.
	"""
	number = (number or "").strip()
	if not number:
		return None

	candidates = [number]
	if not number.startswith("+"):
		digits = re.sub(r"\D", "", number)
		if digits.startswith("00"):
			digits = digits[2:]
		candidates.append("+" + digits)

	possible = None
	for candidate in candidates:
		try:
			parsed = phonenumbers.parse(candidate, region.upper() if region else None)
		except phonenumbers.NumberParseException:
			continue
		if phonenumbers.is_valid_number(parsed):
			return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
		if possible is None and phonenumbers.is_possible_number(parsed):
			possible = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
	return possible
