"""Load on the capture: many parallel send_sms calls over HTTP to the site served by gunicorn.

	bench --site <site> execute sms_log_app.benchmark.load.run --kwargs '{"calls": 200}'

It serves the site with gunicorn, points SMS Settings at a gateway stub on 127.0.0.1, sends through
a temporary System Manager's API key, prints a Markdown table, and removes the logs, the user and
the settings it made.
"""

import json
import os
import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import frappe

from sms_log_app.log_writer import separate_connection
from sms_log_app.tests.gateway_stub import GatewayStub
from sms_log_app.tests.utils import api_token, committed_sms_settings, delete_logs, make_user, served_site

SEND_SMS = "/api/method/frappe.core.doctype.sms_settings.sms_settings.send_sms"
MESSAGE_PREFIX = "Load test"


def run(calls: int = 200, concurrency: int = 8, workers: int = 3):
	"""Send `calls` SMS (1 to 3 recipients each) with `concurrency` client threads to `workers`
	gunicorn workers, then count the SMS Logs they left."""
	batch = f"{MESSAGE_PREFIX} {frappe.generate_hash(length=10)}"
	user, auth = make_api_user()
	with ExitStack() as cleanup:
		cleanup.callback(remove, batch, user)
		gateway = cleanup.enter_context(GatewayStub())
		cleanup.enter_context(committed_sms_settings(gateway))  # commits the user too
		client = cleanup.enter_context(served_site(workers=workers))

		def send(message: str, numbers: list[str]) -> tuple[int, float]:
			started = time.perf_counter()
			response = client.request(
				"POST", SEND_SMS, headers=auth, data={"receiver_list": json.dumps(numbers), "msg": message}
			)
			return response.status_code, time.perf_counter() - started

		with ThreadPoolExecutor(concurrency) as pool:
			# not measured: each gunicorn worker loads the site and the app on its first requests
			list(pool.map(send, *zip(*sends(f"{batch} warm-up", workers * 2), strict=True)))
			planned = dict(sends(batch, calls))
			started = time.perf_counter()
			results = list(pool.map(send, planned, planned.values()))
			wall = time.perf_counter() - started

		print(table(planned, results, wall, concurrency, workers, count_logs(planned)))


def sends(prefix: str, calls: int) -> list[tuple[str, list[str]]]:
	"""(message, recipients) for each call: a message of its own and 1 to 3 numbers."""
	return [
		(f"{prefix} {k}", [f"+96650{k % 10_000:04d}{j:03d}" for j in range(k % 3 + 1)]) for k in range(calls)
	]


def count_logs(planned: dict[str, list[str]]) -> tuple[Counter, int]:
	"""How many SMS Logs carry each planned message, and how many recipient rows they have."""
	with separate_connection():
		logs = frappe.get_all(
			"SMS Log", filters={"message": ("in", list(planned))}, fields=["name", "message"]
		)
		rows = frappe.db.count("SMS Log Recipient", {"parent": ("in", [log.name for log in logs] or [""])})
	return Counter(log.message for log in logs), rows


def table(planned, results, wall, concurrency, workers, found) -> str:
	per_message, rows = found
	latencies = sorted(latency for _, latency in results)
	percentiles = statistics.quantiles(latencies, n=100, method="inclusive")
	lost = sum(1 for message in planned if not per_message[message])
	duplicates = sum(count - 1 for count in per_message.values() if count > 1)
	figures = (
		("calls (HTTP send_sms)", len(planned)),
		("client threads", concurrency),
		("gunicorn workers", workers),
		("CPUs", os.cpu_count()),
		("wall time", f"{wall:.2f} s"),
		("calls per second sustained", f"{len(planned) / wall:.1f}"),
		("latency p50", f"{percentiles[49] * 1000:.0f} ms"),
		("latency p95", f"{percentiles[94] * 1000:.0f} ms"),
		("responses other than 200", sum(status != 200 for status, _ in results)),
		("logs expected / found", f"{len(planned)} / {sum(per_message.values())}"),
		("recipient rows expected / found", f"{sum(map(len, planned.values()))} / {rows}"),
		("logs lost", lost),
		("duplicate logs", duplicates),
	)
	return "\n".join(["| Figure | Value |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in figures)])


def make_api_user() -> tuple[str, dict]:
	"""A temporary System Manager and the Authorization header of its API key."""
	email = f"sms-log-load-{frappe.generate_hash(length=8)}@example.com"
	make_user(email, ["System Manager"])
	return email, api_token(email)


def remove(batch: str, user: str):
	delete_logs(message=("like", f"{batch} %"))
	frappe.delete_doc("User", user, force=True, ignore_permissions=True)
	frappe.db.commit()
