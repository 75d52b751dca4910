"""The benchmark's measurements. Each one works at any data size and returns Figures (timings, in
seconds) and Ratios, which `sms_log_app.benchmark.run` prints as a table."""

import copy
import math
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from unittest.mock import patch

import frappe
from frappe.core.doctype.sms_settings import sms_settings
from frappe.desk import reportview
from frappe.desk.form.load import getdoc
from frappe.utils import add_days, today

from sms_log_app import (
	bulk_send,
	log_writer,
	opt_out_link,
	phone_search,
	recipient_rules,
	recovery,
	sending,
	timeline,
)
from sms_log_app.benchmark.seed import SENDER_PREFIX
from sms_log_app.gateway import Outcome, deliver
from sms_log_app.gateway_settings import gateway_config
from sms_log_app.numbers import to_e164
from sms_log_app.references import PROMOTIONAL
from sms_log_app.send_input import Send
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import get_settings
from sms_log_app.sms_log_app.report.sms_delivery_summary.sms_delivery_summary import (
	execute as delivery_summary_report,
)
from sms_log_app.status import SENDING
from sms_log_app.tests.gateway_stub import GatewayStub
from sms_log_app.tests.provider_stubs import ProviderStub
from sms_log_app.tests.utils import (
	committed_provider,
	committed_sms_settings,
	free_port,
	served_site,
	start_worker,
)

CAPTURE_SENDER = SENDER_PREFIX + "Capture"
# what the SMS Log list view asks for: standard fields, the in-list-view fields and the title field
LIST_FIELDS = [
	f"`tabSMS Log`.`{field}`"
	for field in (
		"name",
		"owner",
		"creation",
		"modified",
		"modified_by",
		"_user_tags",
		"_comments",
		"_assign",
		"_liked_by",
		"docstatus",
		"idx",
		"status",
		"sent_on",
		"sender_name",
	)
]


@dataclass
class Figure:
	label: str
	rows: str
	samples: list[float]
	target: float | None = None  # seconds
	by_p95: bool = False  # the target holds for the 95th percentile, not the median

	@property
	def median(self) -> float:
		return statistics.median(self.samples)

	@property
	def p95(self) -> float:
		"""Nearest-rank 95th percentile."""
		ordered = sorted(self.samples)
		return ordered[math.ceil(0.95 * len(ordered)) - 1]

	@property
	def met(self) -> bool | None:
		if self.target is None:
			return None
		return (self.p95 if self.by_p95 else self.median) < self.target


@dataclass
class Ratio:
	label: str
	value: float
	target: float | None = None
	at_least: bool = False  # the target is a floor (a speed-up), not a ceiling (an overhead)

	@property
	def met(self) -> bool | None:
		if self.target is None:
			return None
		return self.value >= self.target if self.at_least else self.value <= self.target


def timings(func: Callable, runs: int, warmup: int = 1) -> list[float]:
	for _ in range(warmup):
		func()
	samples = []
	for _ in range(runs):
		started = time.perf_counter()
		func()
		samples.append(time.perf_counter() - started)
	return samples


@contextmanager
def local_gateway():
	"""A gateway stub on 127.0.0.1 that accepts every number at once, with SMS Settings committed
	to point at it; the previous settings are restored and committed afterwards. Sends stay
	synchronous whatever their size: the queued send is measured on its own."""
	settings = copy.copy(get_settings())
	settings.queue_threshold = 1_000_000
	with (
		GatewayStub() as gateway,
		committed_sms_settings(gateway),
		patch.object(sending, "get_settings", lambda: settings),
	):
		yield gateway


def numbers(count: int) -> list[str]:
	return [f"+9665{n:08d}" for n in range(1, count + 1)]


def send(count: int):
	sms_settings.send_sms(numbers(count), "Benchmark: capture overhead", CAPTURE_SENDER, success_msg=False)


def capture_overhead(recipients: int, runs: int, gateway: GatewayStub, delay: float = 0) -> list:
	"""send_sms to `recipients` numbers with the capture writing its log, against the same send with
	the log writes (and the note of how far a send got) replaced by no-ops, to a gateway answering
	each request after `delay` seconds; the two alternate so that drift affects both alike."""

	def off_log(numbers, **kwargs):
		"""A log as start_log returns it, its rows to send included, with nothing written."""
		rows = [{"idx": i, "number": n, "status": SENDING} for i, n in enumerate(numbers, start=1)]
		return log_writer.StartedLog(name="off", counted={}, rows=rows, stock_sent_count=False)

	with_log, without_log = [], []
	gateway.delay = delay
	try:
		send(recipients)  # warm-up: connections, caches, imports
		for _ in range(runs):
			with (
				patch.object(log_writer, "start_log", off_log),
				patch.object(log_writer, "finish_log", lambda *args: None),
				patch.object(recovery.Attempts, "note", lambda self, index: True),
			):
				requests_before = len(gateway.requests)
				without_log += timings(lambda: send(recipients), 1, warmup=0)
				if len(gateway.requests) == requests_before:  # a comparison with no send is void
					raise AssertionError("With the log writes off, the send reached no gateway")
			with_log += timings(lambda: send(recipients), 1, warmup=0)
	finally:
		gateway.delay = 0
	rows = f"{recipients} recipient{'s' if recipients > 1 else ''}"
	stub = f"a stub answering in {delay * 1000:g} ms" if delay else "an instant stub"
	off = Figure(f"send_sms, {rows}, {stub}, log writes off", "-", without_log)
	on = Figure(f"send_sms, {rows}, {stub}, captured", f"1 log + {rows}", with_log)
	targets = {(1, 0): 1.15, (100, 0): 1.05, (1, 0.05): 1.10, (10, 0.05): 1.03}
	ratio = Ratio(f"capture overhead, {rows}, {stub} (captured / off)", on.median / off.median)
	ratio.target = targets.get((recipients, delay))
	return [off, on, ratio]


def log_write(runs: int) -> list:
	"""The write-ahead log of a 1-recipient send, both its writes (`log_writer.start_log` before the
	request, `finish_log` after it, each committed on the log connection), against Frappe's own
	`create_sms_log` (a Document insert in the caller's transaction, not committed) and against the
	floor: the log row and one recipient row INSERTed and COMMITted on an open connection. The three
	alternate so that drift affects them alike."""
	number = numbers(1)[0]
	message = "Benchmark: log write"
	outcome = Outcome(number, True, 200, response="OK")

	def app():
		log = log_writer.start_log(message=message, numbers=[number], sender_name=CAPTURE_SENDER)
		log_writer.finish_log(log, [outcome])

	def stock():
		sms_settings.create_sms_log({"message": message.encode(), "receiver_list": [number]}, [number])

	def floor():
		with log_writer.separate_connection():  # commits at the end, on the connection already open
			name = SENDER_PREFIX + frappe.generate_hash(length=12)
			frappe.db.sql(
				"insert into `tabSMS Log` (name, creation, modified, owner, modified_by, sender_name, message)"
				" values (%s, now(6), now(6), 'Administrator', 'Administrator', %s, %s)",
				(name, CAPTURE_SENDER, message),
			)
			frappe.db.sql(
				"insert into `tabSMS Log Recipient` (name, parent, parenttype, parentfield, number)"
				" values (%s, %s, 'SMS Log', 'recipients', %s)",
				(frappe.generate_hash(length=10), name, number),
			)

	samples = {app: [], stock: [], floor: []}
	for func in samples:
		func()  # warm-up: the log connection, meta, caches
	frappe.db.rollback()
	for _ in range(runs):
		for func, times in samples.items():
			times += timings(func, 1, warmup=0)
		frappe.db.rollback()  # what the stock write did in the caller's transaction
	rows = "1 log + 1 recipient"
	app_write = Figure(
		"write-ahead log, 1 recipient: start_log + finish_log (2 commits, own connection)", rows, samples[app]
	)
	stock_write = Figure("log write, 1 recipient: stock create_sms_log (no commit)", rows, samples[stock])
	floor_write = Figure("log write, 1 recipient: floor (2 INSERTs + COMMIT)", rows, samples[floor])
	return [
		stock_write,
		floor_write,
		app_write,
		Ratio("write-ahead log / stock create_sms_log", app_write.median / stock_write.median, 1),
		Ratio("write-ahead log / floor", app_write.median / floor_write.median, 4),
	]


def queued_send_throughput(recipients: int) -> list:
	"""Recipients a second of a queued send of `recipients` numbers, its jobs run in this process with
	the default settings, against plain `gateway.deliver` (one request at a time), both to an instant
	stub in a process of its own, as a real gateway is: in this one it would share the interpreter
	lock with the sending threads."""
	targets = numbers(recipients)
	with gateway_process():
		started = time.perf_counter()
		deliver(gateway_config(10), targets, "Benchmark: plain deliver")
		plain = time.perf_counter() - started
		queued = _queued_in_process(targets, "Benchmark: queued send")
	rows = f"{recipients:,} recipients"
	return [
		Figure(
			f"deliver alone, one request at a time ({recipients / plain:,.0f} recipients/s)", rows, [plain]
		),
		Figure(f"queued send, jobs in-process ({recipients / queued:,.0f} recipients/s)", rows, [queued]),
		Ratio("queued send throughput / deliver alone", plain / queued, 0.8, at_least=True),
	]


@contextmanager
def gateway_process():
	"""An instant gateway stub in a process of its own on 127.0.0.1, with SMS Settings committed to
	point at it while the block runs."""
	port = free_port()
	stub = subprocess.Popen([sys.executable, "-m", "sms_log_app.tests.gateway_stub", str(port)])
	gateway = SimpleNamespace(url=f"http://127.0.0.1:{port}/send", receiver_parameter="to")
	try:
		deadline = time.monotonic() + 30
		while True:
			with socket.socket() as probe:
				if probe.connect_ex(("127.0.0.1", port)) == 0:
					break
			if time.monotonic() > deadline:
				raise RuntimeError("The gateway stub did not start")
			time.sleep(0.1)
		with committed_sms_settings(gateway):
			yield
	finally:
		stub.terminate()
		stub.wait(timeout=30)


def queued_send_slow_gateway(recipients: int, gateway: GatewayStub, delay: float = 0.1) -> list:
	"""A queued send of `recipients` numbers through a stub answering each request in `delay` s, its
	jobs run in this process with the default settings; the target is 100 recipients a second."""
	gateway.delay = delay
	try:
		queued = _queued_in_process(numbers(recipients), "Benchmark: queued send, slow gateway")
	finally:
		gateway.delay = 0
	label = (
		f"queued send, a stub answering in {delay * 1000:g} ms, jobs in-process"
		f" ({recipients / queued:,.0f} recipients/s)"
	)
	return [Figure(label, f"{recipients:,} recipients", [queued], target=recipients / 100)]


def _queued_in_process(targets: list[str], message: str, log_fields: dict | None = None) -> float:
	"""Seconds from queueing a send to its completion, its jobs run here one after another."""
	started = time.perf_counter()
	with patch.object(bulk_send, "enqueue", lambda *args: None):  # the jobs run here instead
		log_name = bulk_send.queue_send(Send(targets, message, SENDER_PREFIX + "Queue"), log_fields or {})
	frappe.db.commit()  # see the log, written on a connection of its own, as a worker would
	bulk_send.send_queued(log_name)
	return time.perf_counter() - started


def queued_send_on_workers(
	recipients: int, gateway: GatewayStub, delay: float = 0.1, parallel: int = 10
) -> list:
	"""A queued send of `recipients` numbers through a stub answering in `delay` s, sent by one worker
	process, then by two, each job with `parallel` requests in flight; the target is 1.7 times the
	throughput with two."""
	gateway.delay = delay
	try:
		with committed_limits(parallel_requests=parallel):
			one = _queued_on_workers(numbers(recipients), "Benchmark: one worker", workers=1)
			two = _queued_on_workers(numbers(recipients), "Benchmark: two workers", workers=2)
	finally:
		gateway.delay = 0
	rows = f"{recipients:,} recipients"
	stub = f"a stub answering in {delay * 1000:g} ms, {parallel} parallel requests a job"
	return [
		Figure(f"queued send, {stub}, 1 worker ({recipients / one:,.0f} recipients/s)", rows, [one]),
		Figure(f"queued send, {stub}, 2 workers ({recipients / two:,.0f} recipients/s)", rows, [two]),
		Ratio("queued send throughput, 2 workers / 1", one / two, 1.7, at_least=True),
	]


def rate_limit_on_workers(recipients: int, per_second: int, gateway: GatewayStub) -> list:
	"""A queued send of `recipients` numbers with *Gateway Messages per Second* at `per_second`, sent by
	two worker processes at once: the most requests the stub saw in any one second, against the limit."""
	gateway.requests.clear()
	with committed_limits(messages_per_second=per_second, recipients_per_job=max(recipients // 4, 1)):
		took = _queued_on_workers(numbers(recipients), "Benchmark: rate limit", workers=2)
	times = sorted(r["received_at"] for r in gateway.requests)
	busiest = max(sum(start <= t < start + 1 for t in times) for start in times)
	label = f"rate limit {per_second}/s, 2 workers: busiest second at the stub ({busiest} requests) / limit"
	return [
		Figure(f"queued send at {per_second}/s, 2 workers", f"{recipients:,} recipients", [took]),
		Ratio(label, busiest / per_second, 1),
	]


def _queued_on_workers(targets: list[str], message: str, workers: int) -> float:
	"""Seconds from starting `workers` burst worker processes on a queued send to its completion."""
	log_name = bulk_send.queue_send(Send(targets, message, SENDER_PREFIX + "Queue"), {})
	started = time.perf_counter()
	processes = [start_worker("long") for _ in range(workers)]
	for process in processes:
		process.wait(timeout=3600)
	took = time.perf_counter() - started
	frappe.db.commit()
	if frappe.db.get_value("SMS Log", log_name, "status") == "Queued":
		raise RuntimeError(f"{log_name} was not completed by {workers} worker(s)")
	return took


@contextmanager
def committed_limits(**values):
	"""SMS Log Settings with `values`, committed for worker processes to read; restored afterwards."""
	settings = frappe.get_doc("SMS Log Settings")
	before = {key: settings.get(key) for key in values}
	settings.update(values)
	settings.save()
	frappe.db.commit()
	try:
		yield
	finally:
		settings = frappe.get_doc("SMS Log Settings")
		settings.update(before)
		settings.save()
		frappe.db.commit()


def bulk_log_write(recipients: int, runs: int) -> list:
	"""The time `start_log` takes for the Queued log of a bulk send to `recipients` numbers, written
	before its job sends anything."""
	targets = numbers(recipients)

	def write():
		log_writer.start_log(
			message="Benchmark: bulk log write", numbers=targets, sender_name=CAPTURE_SENDER, status="Queued"
		)

	label = f"start_log of a {recipients:,}-recipient Queued log"
	return [Figure(label, f"1 log + {recipients:,} recipients", timings(write, runs), target=0.5)]


def lookup_by_number(number: str, runs: int, like_runs: int, typical: bool = True) -> list:
	"""The newest 20 logs sent to `number`: as the app finds them (`phone_search.logs_to_number`,
	through the recipients' index) and by searching the logs' Sent To text. The speed-up's target
	holds for a typical number; the time's target for any number, the busiest included."""
	matches = frappe.db.count("SMS Log Recipient", {"normalized_number": number})
	recipients = frappe.db.count("SMS Log Recipient")
	logs = frappe.db.count("SMS Log")

	def by_like():
		return frappe.get_list(
			"SMS Log",
			filters=[["sent_to", "like", f"%{number}%"]],
			fields=list(phone_search.LOG_FIELDS),
			order_by="`tabSMS Log`.`creation` desc",
			limit=20,
		)

	which = "typical number" if typical else "busiest number"
	app = Figure(
		f"newest 20 logs to a {which} ({matches:,} rows): logs_to_number",
		f"{recipients:,} recipient rows",
		timings(lambda: phone_search.logs_to_number(number), runs),
		target=0.005,
	)
	naive = Figure(
		f"newest 20 logs to a {which}: sent_to LIKE",
		f"{logs:,} logs",
		timings(by_like, like_runs),
	)
	return [
		app,
		naive,
		Ratio(
			f"lookup speed-up, {which} (LIKE / logs_to_number)",
			naive.median / app.median,
			1000 if typical else None,
			True,
		),
	]


def list_first_page(status: str, runs: int) -> list:
	"""The SMS Log list's first page and its count, as the Desk list view asks for them."""
	filters = [["SMS Log", "status", "=", status]]
	logs = frappe.db.count("SMS Log")

	def first_page():
		return reportview.execute(
			"SMS Log",
			fields=LIST_FIELDS,
			filters=filters,
			order_by="`tabSMS Log`.`creation` desc",
			start=0,
			page_length=20,
			with_comment_count=True,
		)

	def count():
		return reportview.execute(
			"SMS Log", fields=["count(`tabSMS Log`.name) as total_count"], filters=filters, order_by=None
		)

	return [
		Figure(
			f"list first page, status = {status}, 20 rows", f"{logs:,} logs", timings(first_page, runs), 0.05
		),
		Figure(
			f"list count, status = {status}", f"{count()[0].total_count:,} of {logs:,}", timings(count, runs)
		),
	]


def delivery_summary(days: int, runs: int) -> list:
	"""The SMS Delivery Summary report over the last `days` days: logs, requested, sent and segments
	by day, sender and status."""
	filters = {"from_date": add_days(today(), 1 - days), "to_date": today()}
	groups = len(delivery_summary_report(filters)[1])
	logs = frappe.db.count("SMS Log", {"sent_on": ("between", (filters["from_date"], filters["to_date"]))})
	return [
		Figure(
			f"delivery summary, {days} days (report execute)",
			f"{logs:,} logs -> {groups:,} groups",
			timings(lambda: delivery_summary_report(filters), runs),
			target=0.3 if days <= 30 else None,
		)
	]


def timeline_on_form(number: str, runs: int) -> list:
	"""What the SMS timeline adds to loading a form (`getdoc`, docinfo included): a Contact with
	`number`, loaded with the timeline and with the hook's function returning nothing, alternately;
	and the timeline alone, for that Contact and for a form no SMS was sent for."""
	matches = frappe.db.count("SMS Log Recipient", {"normalized_number": number})
	recipients = frappe.db.count("SMS Log Recipient")
	contact = frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": SENDER_PREFIX + "Timeline",
			"phone_nos": [{"phone": number, "is_primary_mobile_no": 1}],
		}
	).insert(ignore_permissions=True)
	todo = frappe.get_doc({"doctype": "ToDo", "description": SENDER_PREFIX + "Timeline"}).insert()

	def load():
		frappe.local.response = frappe._dict({"docs": []})
		getdoc("Contact", contact.name)

	try:
		load()  # warm-up: meta, caches, imports
		on, off = [], []
		for _ in range(runs):
			with patch.object(timeline, "timeline_entries", lambda doctype, docname: []):
				off += timings(load, 1, warmup=0)
			on += timings(load, 1, warmup=0)
		alone = timings(lambda: timeline.timeline_entries("Contact", contact.name), runs)
		elsewhere = timings(lambda: timeline.timeline_entries("ToDo", todo.name), runs)
	finally:
		frappe.delete_doc("Contact", contact.name, force=True, ignore_permissions=True)
		frappe.delete_doc("ToDo", todo.name, force=True, ignore_permissions=True)

	rows = f"{matches:,} of {recipients:,} recipient rows"
	return [
		Figure("form load (getdoc) of a Contact, SMS timeline off", "-", off),
		Figure(f"form load (getdoc) of a Contact with {matches:,} SMS, SMS timeline on", rows, on),
		Figure(
			"SMS timeline added to getdoc (paired on - off)",
			rows,
			[with_timeline - without for with_timeline, without in zip(on, off, strict=True)],
			target=0.005,
		),
		Figure("SMS timeline alone (timeline_entries), that Contact", rows, alone),
		Figure("SMS timeline alone, a ToDo no SMS was sent for", "-", elsewhere),
	]


def provider_batches(recipients: int, sizes=(1, 10, 100), delay: float = 0.1, parallel: int = 20) -> list:
	"""Queued sends of `recipients` numbers to the Msegat profile's stub answering in `delay` s, on one
	worker process with `parallel` requests in flight and all of them in one job (a job of the default
	1,000 holds only 10 requests of 100), at each of `sizes` numbers per request; the target for 100 a
	request is 2,000 recipients a second. Then an empty balance: how many requests reach the stub after
	its first refusal (at most those in flight), and no row Sent."""
	figures = []
	with ProviderStub("Msegat") as stub, committed_provider(stub):
		stub.delay = delay
		limits = {"parallel_requests": parallel, "recipients_per_job": recipients}
		for size in sizes:
			with committed_limits(numbers_per_request=size, **limits):
				took = _queued_on_workers(numbers(recipients), f"Benchmark: {size} a request", workers=1)
			figures.append(
				Figure(
					f"queued send, Msegat stub answering in {delay * 1000:g} ms, {size} numbers a request,"
					f" {parallel} in flight, one job, 1 worker ({recipients / took:,.0f} recipients/s)",
					f"{recipients:,} recipients",
					[took],
					target=recipients / 2000 if size == 100 else None,
				)
			)
		stub.reset()
		stub.failure = "balance"
		with committed_limits(numbers_per_request=100, **limits):
			_queued_on_workers(numbers(recipients), "Benchmark: empty balance", workers=1)
		(log,) = frappe.get_all(
			"SMS Log", filters={"message": "Benchmark: empty balance"}, fields=["name", "noofsent_sms"]
		)
		sent = frappe.db.count("SMS Log Recipient", {"parent": log.name, "status": "Sent"})
	after_refusal = len(stub.requests) - 1
	return [
		*figures,
		Ratio(
			f"empty balance, {recipients:,} recipients: requests after the first refusal ({after_refusal})"
			f" / requests in flight ({parallel}); rows Sent: {sent}",
			after_refusal / parallel,
			1,
		),
	]


def opt_out_check(
	recipients: int = 10_000, opted_out: int = 1_000, stored: int = 10_000, runs: int = 10
) -> list:
	"""A promotional queued send to `recipients` numbers, `opted_out` of them among `stored` opt-outs,
	its jobs run in this process against an instant stub in a process of its own; and the time its
	opt-out check (`recipient_rules.skipped`, run once as the log is written) takes on those numbers.
	The target: the check adds at most 5 % to the send's time."""
	targets = numbers(recipients)
	step = max(recipients // opted_out, 1)
	stored_numbers = targets[::step][:opted_out]
	stored_numbers += [f"+9665{n:08d}" for n in range(50_000_001, 50_000_001 + stored - len(stored_numbers))]
	normalized = [to_e164(n, "SA") for n in targets]
	message = "Benchmark: promotional send"
	# no rate limit: the faster the send, the larger the check's share
	with stored_opt_outs(stored_numbers), committed_limits(messages_per_second=0):
		check = timings(lambda: recipient_rules.skipped(normalized, message, PROMOTIONAL), runs=runs)
		with gateway_process():
			send = _queued_in_process(targets, message, {"message_class": PROMOTIONAL})
	rows = f"{recipients:,} recipients, {opted_out:,} opted out, {stored:,} opt-outs stored"
	check_figure = Figure("opt-out check of a promotional send (one query)", rows, check)
	return [
		check_figure,
		Figure("promotional queued send, jobs in-process, opt-outs skipped", rows, [send]),
		Ratio(
			f"opt-out check / the send's time ({check_figure.median / send:.2%})",
			check_figure.median / send,
			0.05,
		),
	]


def opt_out_page(stored: int = 10_000, runs: int = 50) -> list:
	"""The public opt-out page of a genuine link, over HTTP from the served site (gunicorn, one worker),
	with `stored` opt-outs; the target is 50 ms at the 95th percentile. Frappe's `ping` on the same
	server, for the floor of any request."""
	stored_numbers = [f"+9665{n:08d}" for n in range(50_000_001, 50_000_001 + stored)]
	path = opt_out_link.link(stored_numbers[stored // 2]).removeprefix(frappe.utils.get_url())
	with stored_opt_outs(stored_numbers), served_site(workers=1) as site:
		frappe.cache.delete_keys("rl:")  # the page's rate limit: these are one client's requests
		load_page = lambda: site.request("GET", path).raise_for_status()  # noqa: E731
		ping_site = lambda: site.request("GET", "/api/method/ping").raise_for_status()  # noqa: E731
		load_page(), ping_site()
		page, ping = [], []
		for _ in range(runs):  # in turn, so that both meet the same load of the machine
			page += timings(load_page, runs=1, warmup=0)
			ping += timings(ping_site, runs=1, warmup=0)
		frappe.cache.delete_keys("rl:")
	rows = f"{stored:,} opt-outs stored"
	return [
		Figure("opt-out page over HTTP (p95)", rows, page, 0.05, by_p95=True),
		Figure("Frappe's ping over HTTP, the same server", "", ping),
	]


@contextmanager
def stored_opt_outs(numbers_: list[str]):
	"""`numbers_` opted out (committed, one multi-row INSERT), deleted afterwards."""
	now = frappe.utils.now()
	fields = ("name", "number", "opted_out_at", "source", "opted_out_by", "removed")
	fields += ("owner", "modified_by", "creation", "modified")
	rows = [
		(n, n, now, "Import", "Administrator", 0, "Administrator", "Administrator", now, now)
		for n in numbers_
	]
	log_writer.insert_rows("SMS Opt-Out", fields, rows)
	frappe.db.commit()
	try:
		yield
	finally:
		table = frappe.qb.DocType("SMS Opt-Out")
		for start in range(0, len(numbers_), 5_000):
			frappe.qb.from_(table).delete().where(table.name.isin(numbers_[start : start + 5_000])).run()
		frappe.db.commit()
