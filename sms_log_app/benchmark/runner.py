"""Run the whole benchmark and print its table."""

import os
import platform
import time

import frappe

from sms_log_app.benchmark import measure, seed


def run(logs: int = 200_000, runs: int = 20, keep: bool = False):
	"""Measure the capture, seed `logs` logs (about five recipients each), measure the queries at
	that size and print a Markdown table. The seeded logs are cleared afterwards unless `keep`.

	bench --site <site> execute sms_log_app.benchmark.run --kwargs '{"logs": 200000}'
	"""
	figures = []
	with measure.local_gateway() as gateway:
		figures += measure.log_write(runs=runs * 3)
		figures += measure.capture_overhead(1, runs=runs * 2, gateway=gateway)
		figures += measure.capture_overhead(100, runs=max(runs // 2, 3), gateway=gateway)
		figures += measure.capture_overhead(1, runs=runs * 2, gateway=gateway, delay=0.05)
		figures += measure.capture_overhead(10, runs=runs, gateway=gateway, delay=0.05)
		figures += measure.bulk_log_write(1000, runs=5)
		figures += measure.queued_send_throughput(10_000)
		figures += measure.queued_send_slow_gateway(1000, gateway)
		figures += measure.queued_send_on_workers(10_000, gateway)
		figures += measure.rate_limit_on_workers(1000, 50, gateway)
	figures += measure.opt_out_check()
	figures += measure.opt_out_page()

	try:
		started = time.perf_counter()
		seeded = seed.seed(logs=logs)
		figures.append(
			measure.Figure(
				"seed (multi-row INSERTs, a commit per 2,000 logs)",
				f"{seeded['logs']:,} logs + {seeded['recipients']:,} rows",
				[time.perf_counter() - started],
			)
		)
		figures += measure.lookup_by_number(seeded["typical_number"], runs=runs, like_runs=5)
		figures += measure.lookup_by_number(seeded["busiest_number"], runs=runs, like_runs=5, typical=False)
		figures += measure.timeline_on_form(seeded["busiest_number"], runs=runs)
		for status in ("Failed", "Partially Sent"):
			figures += measure.list_first_page(status, runs=runs)
		figures += measure.delivery_summary(30, runs=runs)
		figures += measure.delivery_summary(365, runs=max(runs // 4, 3))
	finally:
		if not keep:
			seed.clear()

	print(table(figures))
	print()
	print(machine())


def run_providers(recipients: int = 10_000, runs: int = 20):
	"""The provider rows alone: many numbers per request, an empty balance, and a Custom gateway's
	capture overhead against a 50 ms stub.

	bench --site <site> execute sms_log_app.benchmark.runner.run_providers
	"""
	figures = []
	with measure.local_gateway() as gateway:
		figures += measure.capture_overhead(1, runs=runs * 2, gateway=gateway, delay=0.05)
	try:
		figures += measure.provider_batches(recipients)
	finally:
		seed.clear()  # the benchmark's logs (their sender starts with "Benchmark - ")
	print(table(figures))
	print()
	print(machine())


def run_opt_outs(recipients: int = 10_000, opted_out: int = 1_000, stored: int = 10_000):
	"""The opt-out rows alone: the check's share of a promotional send, and the public page.

	bench --site <site> execute sms_log_app.benchmark.runner.run_opt_outs
	"""
	try:
		figures = measure.opt_out_check(recipients, opted_out, stored)
		figures += measure.opt_out_page(stored)
	finally:
		seed.clear()  # the benchmark's logs (their sender starts with "Benchmark - ")
	print(table(figures))
	print()
	print(machine())


def table(figures: list) -> str:
	lines = [
		"| Measurement | Rows | Runs | Median | p95 | Target | Met |",
		"| --- | --- | ---: | ---: | ---: | ---: | --- |",
	]
	for f in figures:
		if isinstance(f, measure.Ratio):
			target = f"{'≥' if f.at_least else '≤'} {f.target:g}×" if f.target else ""
			lines.append(f"| {f.label} | | | {f.value:,.2f}× | | {target} | {_met(f.met)} |")
		else:
			target = f"< {_duration(f.target)}" if f.target else ""
			lines.append(
				f"| {f.label} | {f.rows} | {len(f.samples)} | {_duration(f.median)} | {_duration(f.p95)} "
				f"| {target} | {_met(f.met)} |"
			)
	return "\n".join(lines)


def machine() -> str:
	cpu = next(
		(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
		platform.processor(),
	)
	mariadb = frappe.db.sql("select version()")[0][0]
	load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
	return (
		f"Machine: {os.cpu_count()} cores, {cpu}; MariaDB {mariadb}; Frappe {frappe.__version__}; "
		f"load average at the end {load}"
	)


def _duration(seconds: float) -> str:
	if seconds >= 1:
		return f"{seconds:,.2f} s"
	return f"{seconds * 1000:,.1f} ms"


def _met(met: bool | None) -> str:
	return {True: "yes", False: "**no**", None: ""}[met]
