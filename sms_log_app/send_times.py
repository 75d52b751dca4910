"""When a send may go out: the promotional sending hours, a time asked for, and a send's validity.
Pure rules on naive datetimes in the site's time zone; no Frappe."""

from datetime import datetime, time, timedelta

AD_SUFFIX = "-AD"  # the end of a sender ID registered for promotional SMS in Saudi Arabia (CST)


def is_promotional_sender_id(sender_id: str | None) -> bool:
	"""Whether `sender_id` is one registered for promotional SMS: it ends in -AD."""
	return bool(sender_id) and sender_id.strip().upper().endswith(AD_SUFFIX)


def within_hours(moment: datetime, opens: time, closes: time) -> bool:
	"""Whether `moment` falls within the daily hours from `opens` to `closes` (which may pass midnight;
	equal times: all day)."""
	now = moment.time()
	if opens == closes:
		return True
	if opens < closes:
		return opens <= now < closes
	return now >= opens or now < closes


def next_opening(moment: datetime, opens: time, closes: time) -> datetime:
	"""`moment` where it falls within the hours, else the moment they next open."""
	if within_hours(moment, opens, closes):
		return moment
	opening = datetime.combine(moment.date(), opens)
	return opening if opening > moment else opening + timedelta(days=1)


def send_time(now: datetime, asked: datetime | None, hours: tuple[time, time] | None) -> datetime | None:
	"""When a send asked for at `asked` (None: now) goes out, within `hours` (None: any time); None
	when that is now (a time in the past sends now)."""
	start = asked if asked and asked > now else now
	if hours:
		start = next_opening(start, *hours)
	return start if start > now else None


def expires_at(start: datetime, validity_minutes: int | None) -> datetime | None:
	"""The end of a send's validity, counted from `start`; None when it has none (0)."""
	return start + timedelta(minutes=validity_minutes) if validity_minutes else None
