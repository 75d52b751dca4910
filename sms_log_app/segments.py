"""How many SMS segments a message takes, and in which encoding (3GPP TS 23.038)."""

GSM_7 = "GSM-7"
UCS_2 = "UCS-2"

# The GSM 03.38 default alphabet; each of these costs one septet.
_GSM_BASIC = set(
	"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Characters of the extension table; each is sent as ESC + char, two septets.
_GSM_EXTENDED = set("^{}\\[~]|€\f")

# (units in a single message, units per part of a multipart message)
_CAPACITY = {GSM_7: (160, 153), UCS_2: (70, 67)}


def _units(message: str) -> tuple[str, list[int]]:
	"""The encoding a message needs and the cost of each of its characters in that encoding."""
	if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in message):
		return GSM_7, [2 if c in _GSM_EXTENDED else 1 for c in message]
	# UCS-2 counts UTF-16 code units: a character outside the BMP (most emoji) takes two.
	return UCS_2, [2 if ord(c) > 0xFFFF else 1 for c in message]


def count_segments(message: str) -> tuple[str, int]:
	"""Return (encoding, number of segments) for `message`.

	A character is never split across two parts, so an escape pair or a surrogate pair that does
	not fit in the rest of a part moves to the next one.
	"""
	encoding, units = _units(message or "")
	single, per_part = _CAPACITY[encoding]
	if sum(units) <= single:
		return encoding, 1

	parts, used = 1, 0
	for cost in units:
		if used + cost > per_part:
			parts, used = parts + 1, 0
		used += cost
	return encoding, parts
