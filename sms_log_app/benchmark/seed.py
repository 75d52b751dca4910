"""Load a year of realistic SMS Logs quickly, and remove them again.

    bench --site <site> execute sms_log_app.benchmark.seed.seed --kwargs '{"logs": 200000}'
    bench --site <site> execute sms_log_app.benchmark.seed.clear

Every seeded log has a sender name starting with SENDER_PREFIX; `clear` deletes exactly those, with
their recipients. Names keep the app's shape `SMS-YYYY-MM-DD-#####` with counters from FIRST_COUNTER,
far above what the naming series hands out on a real site, so they never collide with real logs.
"""

import random
from datetime import date, datetime, timedelta

import frappe
from frappe.utils import today

from sms_log_app import daily_totals
from sms_log_app.log_writer import RECIPIENT_FIELDS, insert_rows
from sms_log_app.segments import count_segments
from sms_log_app.status import FAILED, SENT, log_status

SENDER_PREFIX = "Benchmark - "
FIRST_COUNTER = 50001
LOGS_PER_CHUNK = 2000  # about 2 MB of log rows and 10,000 recipient rows per INSERT and commit
DELETE_BATCH = 5000

SENDERS = (
	("Collections Team", 30),
	("Sales", 15),
	("Scheduler", 25),
	("Background Job", 10),
	("Noura Al-Harbi", 8),
	("Omar Haddad", 6),
	("Customer Service", 4),
	("Two-Factor Authentication", 2),
)
MESSAGES = (
	"Dear customer, invoice {ref} of SAR {amount} is due on {day}. Please pay to avoid a late fee.",
	"عزيزي العميل، الفاتورة رقم {ref} بمبلغ {amount} ريال مستحقة بتاريخ {day}.",
	"Your order {ref} has been shipped and will arrive on {day}.",
	"تم شحن طلبك رقم {ref} وسيصل بتاريخ {day}.",
	"Reminder: your appointment {ref} is on {day}. Reply 1 to confirm.",
	"تذكير: موعدك رقم {ref} يوم {day}. للتأكيد أرسل 1.",
	"عرض خاص لعملائنا الكرام: خصم {amount}% على جميع المنتجات حتى {day}. "
	"تسوق الآن من فروعنا أو من متجرنا الإلكتروني واستمتع بالتوصيل المجاني للطلبات فوق 200 ريال.",
	"Your verification code is ••••••",
)
FAILURES = (
	(400, "HTTP 400 Bad Request", "Invalid destination number"),
	(0, "The gateway refused the connection", None),
	(0, "The gateway did not answer within 10 s", None),
	(500, "HTTP 500 Internal Server Error", "Internal gateway error"),
)
LOG_FIELDS = (
	"name",
	"owner",
	"modified_by",
	"creation",
	"modified",
	"status",
	"sent_at",
	"sent_on",
	"sender_name",
	"noofrequested_sms",
	"noofsent_sms",
	"segments",
	"encoding",
	"message",
	"requested_numbers",
	"sent_to",
)


def seed(logs: int = 200_000, days: int = 365, random_seed: int = 5) -> dict:
	"""Replace the seeded logs with `logs` new ones over the `days` days before today, about five
	recipients each; return the counts and a typical and the busiest number."""
	clear()
	rng = random.Random(random_seed)
	phones = PhoneBook(rng)
	recipient_count = 0
	chunk_logs, chunk_recipients = [], []
	for log, recipients in _logs(rng, phones, logs, days):
		chunk_logs.append(log)
		chunk_recipients.extend(recipients)
		if len(chunk_logs) == LOGS_PER_CHUNK:
			recipient_count += _insert(chunk_logs, chunk_recipients)
			chunk_logs, chunk_recipients = [], []
	recipient_count += _insert(chunk_logs, chunk_recipients)
	return {
		"logs": logs,
		"recipients": recipient_count,
		"typical_number": phones.typical,
		"busiest_number": phones.busiest,
	}


def clear():
	"""Delete every seeded log (and every log the benchmark sent) with its recipients."""
	log = frappe.qb.DocType("SMS Log")
	seeded = (
		frappe.qb.from_(log)
		.select(log.name)
		.where(log.sender_name.like(f"{SENDER_PREFIX}%"))
		.limit(DELETE_BATCH)
	)
	while names := seeded.run(pluck=True):
		daily_totals.remove(names)
		frappe.db.delete("SMS Log Recipient", {"parenttype": "SMS Log", "parent": ("in", names)})
		frappe.db.delete("SMS Log", {"name": ("in", names)})
		frappe.db.commit()


def _insert(logs: list[tuple], recipients: list[tuple]) -> int:
	if logs:
		insert_rows("SMS Log", LOG_FIELDS, logs)
		insert_rows("SMS Log Recipient", RECIPIENT_FIELDS, recipients)
		daily_totals.add(*(dict(zip(LOG_FIELDS, log, strict=True)) for log in logs))
		frappe.db.commit()
	return len(recipients)


class PhoneBook:
	"""Customers' numbers as they are typed in their records, with their E.164 form; a few customers
	get many messages and most get a few (Zipf-like)."""

	SIZE = 50_000

	def __init__(self, rng: random.Random):
		self.rng = rng
		self.entries = [self._entry(i) for i in range(self.SIZE)]
		self.cum_weights, total = [], 0.0
		for rank in range(self.SIZE):
			total += 1 / (rank + 20) ** 0.9
			self.cum_weights.append(total)
		self.busiest = self.entries[0][1]
		self.typical = self.entries[self.SIZE // 10][1]

	def _entry(self, i: int) -> tuple[str, str]:
		kind = self.rng.random()
		if kind < 0.85:  # Saudi mobile, typed three ways
			subscriber = f"5{self.rng.choice('0345689')}{i:07d}"
			forms = (f"+966{subscriber}", f"0{subscriber}", f"966{subscriber}")
			typed = self.rng.choices(forms, (7, 2, 1))[0]
			return typed, f"+966{subscriber}"
		if kind < 0.95:
			typed = f"+9715{self.rng.choice('0256')}{i:07d}"
		else:
			typed = f"+2010{i:08d}"
		return typed, typed

	def pick(self, k: int) -> list[tuple[str, str]]:
		chosen = {}
		while len(chosen) < k:
			for entry in self.rng.choices(self.entries, cum_weights=self.cum_weights, k=k - len(chosen)):
				chosen[entry[1]] = entry
		return list(chosen.values())


def _logs(rng: random.Random, phones: PhoneBook, count: int, days: int):
	"""(log row, recipient rows) in order of creation, spread over the days before today, more on
	working days and in working hours, growing over the year."""
	first_day = date.fromisoformat(today()) - timedelta(days=days)
	weights = [
		(0.6 + 0.4 * d / days) * (0.35 if (first_day + timedelta(days=d)).weekday() in (4, 5) else 1.0)
		for d in range(days)
	]
	total = sum(weights)
	per_day = [int(count * w / total) for w in weights]
	for d in rng.sample(range(days), count - sum(per_day)):
		per_day[d] += 1

	child = 0
	for d, n in enumerate(per_day):
		day = first_day + timedelta(days=d)
		midnight = datetime.combine(day, datetime.min.time())
		seconds = sorted(min(max(rng.gauss(11.5 * 3600, 3.5 * 3600), 0), 86399.999) for _ in range(n))
		for counter, second in enumerate(seconds, start=FIRST_COUNTER):
			created = midnight + timedelta(seconds=second)
			name = f"SMS-{day:%Y-%m-%d}-{counter:05d}"
			log, recipients = _log(rng, phones, name, created)
			recipients = [
				(f"sb{child + idx:08d}", name, "SMS Log", "recipients", idx, *row, None)  # no message id
				for idx, row in enumerate(recipients, start=1)
			]
			child += len(recipients)
			yield log, recipients


def _log(rng: random.Random, phones: PhoneBook, name: str, created: datetime):
	sender = SENDER_PREFIX + rng.choices([s for s, _ in SENDERS], [w for _, w in SENDERS])[0]
	message = rng.choice(MESSAGES).format(
		ref=rng.randint(10000, 99999), amount=rng.randint(5, 9000), day=f"{created + timedelta(days=7):%d/%m}"
	)
	encoding, segments = count_segments(message)
	size = rng.choices(
		(1, rng.randint(2, 6), rng.randint(11, 35)),
		(60, 25, 15),
	)[0]
	entries = phones.pick(size)

	outcome = rng.random()
	if outcome < 0.9:
		accepted = [True] * size
	elif outcome < 0.95 and size > 1:
		failed = set(rng.sample(range(size), rng.randint(1, size - 1)))
		accepted = [i not in failed for i in range(size)]
	else:
		accepted = [False] * size
	failure = rng.choice(FAILURES)

	rows = []
	for (typed, normalized), ok in zip(entries, accepted, strict=True):
		if ok:
			row = (SENT, 200, None, f'{{"status": "queued", "message_id": "msg-{rng.getrandbits(48):x}"}}')
		else:
			row = (FAILED, *failure)
		rows.append(("Administrator", "Administrator", created, created, typed, normalized, *row))

	sent = sum(accepted)
	status = log_status(size, sent)
	log = (
		name,
		"Administrator",
		"Administrator",
		created,
		created,
		status,
		created,
		created.date(),
		sender,
		size,
		sent,
		segments,
		encoding,
		message,
		"\n".join(typed for typed, _ in entries),
		"\n".join(typed for (typed, _), ok in zip(entries, accepted, strict=True) if ok),
	)
	return log, rows
