"""Keep one-time codes out of the log."""

import re

# Runs of four or more digits: OTPs are 4 to 8 digits long.
_CODE = re.compile(r"\d{4,}")


def mask_codes(text: str) -> str:
	"""Replace every run of four or more digits with bullets of the same length."""
	return _CODE.sub(lambda m: "•" * len(m.group()), text or "")
