"""Helpers for the integration tests: SMS Settings aimed at the gateway stub, logs read as other
connections see them, and the site served over real HTTP."""

import contextlib
import os
import re
import socket
import subprocess
import sys
import time

import frappe
import pymysql
import requests
from frappe.core.doctype.sms_settings import sms_settings
from frappe.desk.page.setup_wizard.setup_wizard import setup_complete
from frappe.tests.utils import FrappeTestCase
from frappe.utils.background_jobs import get_job
from frappe.utils.password import update_password

from sms_log_app import account_refusals, bulk_send, promotional_rules
from sms_log_app.log_writer import separate_connection
from sms_log_app.provider_settings import provider_defaults
from sms_log_app.providers import reasons
from sms_log_app.sms_log_app.doctype.sms_log import sms_log
from sms_log_app.sms_log_app.doctype.sms_log_settings.sms_log_settings import LIMITS, get_settings
from sms_log_app.tests.gateway_stub import GatewayStub
from sms_log_app.tests.provider_stubs import ProviderStub

SETTINGS_FIELDS = ("sms_gateway_url", "message_parameter", "receiver_parameter", "use_post")
PASSWORD = "Sms-Log-Test-Password-1"
# the HTTP paths the tests send SMS and delivery reports to
SEND_SMS = "/api/method/frappe.core.doctype.sms_settings.sms_settings.send_sms"
RECEIVE = "/api/method/sms_log_app.delivery_reports.receive"
PLAIN_USER = "sms-log-desk-plain@example.com"  # a Desk user who may not read SMS Logs
APPLICATION = "frappe.app:application"  # the WSGI application gunicorn serves


def configure_sms_settings(gateway, *, use_post=False, static=None, headers=None):
	"""Point SMS Settings at `gateway` (a GatewayStub) in the current transaction."""
	settings = frappe.get_doc("SMS Settings")
	settings.sms_gateway_url = gateway.url
	settings.message_parameter = "text"
	settings.receiver_parameter = gateway.receiver_parameter
	settings.use_post = use_post
	settings.parameters = []
	for parameter, value in (static or {}).items():
		settings.append("parameters", {"parameter": parameter, "value": value, "header": 0})
	for parameter, value in (headers or {}).items():
		settings.append("parameters", {"parameter": parameter, "value": value, "header": 1})
	settings.save()
	return settings


@contextlib.contextmanager
def committed_sms_settings(gateway):
	"""SMS Settings aimed at `gateway` and committed, for other processes (served site, workers);
	the previous settings are restored and committed afterwards."""
	before = frappe.get_doc("SMS Settings").as_dict()
	configure_sms_settings(gateway)
	frappe.db.commit()
	try:
		yield
	finally:
		settings = frappe.get_doc("SMS Settings")
		settings.update({field: before.get(field) for field in SETTINGS_FIELDS})
		settings.set(
			"parameters", [{k: p[k] for k in ("parameter", "value", "header")} for p in before.parameters]
		)
		settings.flags.ignore_mandatory = True
		settings.save()
		frappe.db.commit()


# the promotional rules off unless a test turns them on, as on a site outside Saudi Arabia
PROMOTIONAL_SETTINGS = {
	**promotional_rules.DEFAULTS,
	"promotional_rules": 0,
	"promotional_sender_id": None,
	"sender_parameter": None,
}


def set_limits(**values):
	"""Change SMS Log Settings in the current transaction; the rest keep their defaults."""
	settings = frappe.get_doc("SMS Log Settings")
	settings.update({**LIMITS, **PROMOTIONAL_SETTINGS, **values})
	settings.save()
	# the saved values may be rolled back, so nothing else may go on reading them from the cache
	frappe.db.after_rollback.add(lambda: frappe.clear_document_cache("SMS Log Settings", "SMS Log Settings"))


def set_site_country(country="Saudi Arabia", code="sa"):
	if not frappe.db.exists("Country", country):
		frappe.get_doc({"doctype": "Country", "country_name": country, "code": code}).insert()
	frappe.db.set_single_value("System Settings", "country", country)


def committed_logs(**filters) -> list:
	"""SMS Logs with their recipients, read on a fresh connection: the capture commits logs on a
	connection of its own, which the test's open transaction does not see."""
	with separate_connection():
		names = frappe.get_all("SMS Log", filters=filters, pluck="name", order_by="creation asc")
		return [frappe.get_doc("SMS Log", name) for name in names]


def delete_logs(**filters):
	with separate_connection():
		if names := frappe.get_all("SMS Log", filters=filters, pluck="name"):
			sms_log.delete_logs(names)


def delete_opt_out(number: str):
	with separate_connection():
		frappe.db.delete("SMS Opt-Out", {"name": number})


def make_user(email, roles):
	"""A user with `roles` and the password PASSWORD, made anew."""
	if frappe.db.exists("User", email):
		frappe.delete_doc("User", email, force=True)
	user = frappe.get_doc(
		{"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0}
	)
	user.append_roles(*roles)
	user.insert()
	update_password(email, PASSWORD)
	return user


def api_token(user):
	"""A new API key for `user`, as the Authorization header that uses it."""
	api_key, api_secret = frappe.generate_hash(length=15), frappe.generate_hash(length=15)
	user = frappe.get_doc("User", user)
	user.api_key, user.api_secret = api_key, api_secret
	user.save()
	return {"Authorization": f"token {api_key}:{api_secret}"}


def free_port() -> int:
	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


def bench_command(*args: str) -> list[str]:
	"""A Frappe CLI command for the current site, run the way `bench` runs it."""
	return [sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "--site", frappe.local.site, *args]


class SiteClient:
	"""Real HTTP requests to the served site."""

	def __init__(self, url: str, site: str, server: subprocess.Popen | None = None):
		self.url, self.site, self.server = url, site, server

	def request(self, method: str, path: str, headers=None, source=None, **kwargs) -> requests.Response:
		"""`source`: the loopback address to connect from, such as 127.0.0.2, which the site does not
		take for a proxy on its own machine (127.0.0.1, the default, is one)."""
		headers = {"Host": self.site, **(headers or {})}
		with requests.Session() as session:
			if source:
				session.mount("http://", SourceAddressAdapter(source))
			return session.request(method, self.url + path, headers=headers, timeout=60, **kwargs)


class SourceAddressAdapter(requests.adapters.HTTPAdapter):
	def __init__(self, source: str):
		self.source = source
		super().__init__()

	def init_poolmanager(self, *args, **kwargs):
		super().init_poolmanager(*args, source_address=(self.source, 0), **kwargs)


@contextlib.contextmanager
def served_site(workers=2, site=None, fresh=False, threads=0):
	"""Serve the current site (or `site` of this bench) with gunicorn, as production does, on a free
	loopback port. `fresh`: wait only for the port, so that the caller's first request is the first
	one a worker serves. `threads`: threaded workers (`--worker-class gthread`) of that many threads."""
	port = free_port()
	gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
	threaded = ["--worker-class", "gthread", "--threads", str(threads)] if threads else []
	server = subprocess.Popen(
		[gunicorn, "-b", f"127.0.0.1:{port}", "-w", str(workers), *threaded, "-t", "120", APPLICATION],
		cwd=os.path.abspath(frappe.local.sites_path),
		stdout=subprocess.DEVNULL,
		stderr=subprocess.DEVNULL,
	)
	client = SiteClient(f"http://127.0.0.1:{port}", site or frappe.local.site, server)
	try:
		deadline = time.monotonic() + 60
		while True:
			try:
				if fresh:
					socket.create_connection(("127.0.0.1", port), timeout=1).close()
					break
				if client.request("GET", "/api/method/ping").ok:
					break
			except (requests.ConnectionError, OSError):
				pass
			if time.monotonic() > deadline or server.poll() is not None:
				raise RuntimeError("The site could not be served for the HTTP tests")
			time.sleep(0.3)
		yield client
	finally:
		server.terminate()
		server.wait(timeout=30)


class WriteAheadAudit:
	"""Set as a gateway stub's `on_request`: checks, as each request arrives, on a MariaDB connection of
	its own (so it sees committed rows only), that a recipient row for its number is there already,
	Sending. `violations` lists the numbers that reached the gateway before their log."""

	def __init__(self):
		conf = frappe.conf
		self.connect = dict(
			host=conf.db_host or "127.0.0.1",
			port=int(conf.db_port or 3306),
			user=conf.get("db_user") or conf.db_name,
			password=conf.db_password,
			database=conf.db_name,
			autocommit=True,
		)
		self.checked, self.violations = [], []

	def __call__(self, number: str):
		with pymysql.connect(**self.connect) as connection, connection.cursor() as cursor:
			cursor.execute(
				"select count(*) from `tabSMS Log Recipient` where number = %s and status = 'Sending'",
				(number,),
			)
			(found,) = cursor.fetchone()
		self.checked.append(number)
		if not found:
			self.violations.append(number)


def start_worker(queue: str, burst: bool = True) -> subprocess.Popen:
	"""A real job worker process of the bench, for the current site's jobs on `queue`; with `burst`
	it ends once the queue is empty."""
	return subprocess.Popen(
		bench_command("worker", "--queue", queue, *(["--burst"] if burst else [])),
		cwd=os.path.abspath(frappe.local.sites_path),
		stdout=subprocess.DEVNULL,
		stderr=subprocess.DEVNULL,
	)


def run_jobs(*jobs, queue="short"):
	"""Run `jobs` in a real worker process and wait until each has finished.

	The queue is shared by every site of the bench, so another worker may take a job first: wait for
	the jobs themselves, not just for this worker.
	"""
	subprocess.run(
		bench_command("worker", "--queue", queue, "--burst"),
		cwd=os.path.abspath(frappe.local.sites_path),
		check=True,
		timeout=300,
		capture_output=True,  # a job that fails on purpose prints its traceback
	)
	deadline = time.monotonic() + 60
	while not all(job.get_status(refresh=True) in ("finished", "failed") for job in jobs):
		if time.monotonic() > deadline:
			raise TimeoutError("The background jobs did not finish")
		time.sleep(0.2)


def before_tests():
	"""Complete the site's setup, as `run-tests` needs on a fresh site: ERPNext's own way where it is
	installed (its test records need a company), else as a Saudi site, as the seed does."""
	if "erpnext" in frappe.get_installed_apps():
		frappe.get_attr("erpnext.setup.utils.before_tests")()
	else:
		setup_complete(
			{"language": "English", "country": "Saudi Arabia", "timezone": "Asia/Riyadh", "currency": "SAR"}
		)
	frappe.db.commit()


N1, N2, N3 = "+966500000001", "+966500000002", "+966500000003"


class GatewayTestCase(FrappeTestCase):
	"""A gateway stub on 127.0.0.1 for the whole test class, as `cls.gateway`."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.gateway = GatewayStub().start()
		cls.addClassCleanup(cls.gateway.stop)


class SMSLogTestCase(GatewayTestCase):
	"""Each test sends a message of its own and reads back the logs carrying it."""

	def setUp(self):
		self.gateway.behaviours.clear()
		self.gateway.requests.clear()
		configure_sms_settings(self.gateway)
		set_site_country()
		set_limits(gateway_timeout=2)
		reset_otp_counters()
		self.message = f"Payment reminder {frappe.generate_hash(length=10)}"
		self.addCleanup(delete_logs, message=("like", f"%{self.message}%"))
		# first, release whatever rows this test's transaction locked (cleanups run last-in first-out)
		self.addCleanup(frappe.db.rollback)

	def send(self, numbers, message=None, **kwargs):
		return sms_settings.send_sms(numbers, message or self.message, **kwargs)

	def sms_notification(self, message, name="texts", condition=None):
		"""A Notification that texts the mobile of each new Contact.

		The test's rollback removes it, but not Frappe's cache of each DocType's Notifications, which
		would then name a Notification that no longer exists to every later Contact insert.
		"""
		self.addCleanup(frappe.cache.hdel, "notifications", "Contact")
		return frappe.get_doc(
			{
				"doctype": "Notification",
				"name": f"{self.message} {name}",
				"subject": "SMS test",
				"document_type": "Contact",
				"event": "New",
				"channel": "SMS",
				"condition": condition,
				"message": message,
				"recipients": [{"receiver_by_document_field": "mobile_no"}],
			}
		).insert()

	def contact(self, first_name, mobile):
		return {
			"doctype": "Contact",
			"first_name": first_name,
			"phone_nos": [{"phone": mobile, "is_primary_mobile_no": 1}],
		}

	def the_log(self, message=None):
		logs = committed_logs(message=message or self.message)
		self.assertEqual(len(logs), 1, "exactly one SMS Log per send_sms call")
		return logs[0]


def as_plain_user(test):
	"""Run the rest of `test` as a Desk user who may not read SMS Logs (made in its transaction)."""
	if not frappe.db.exists("User", PLAIN_USER):
		user = frappe.get_doc({"doctype": "User", "email": PLAIN_USER, "first_name": "Plain"})
		user.append_roles("Blogger")
		user.flags.no_welcome_mail = True
		user.insert()
	test.addCleanup(frappe.set_user, "Administrator")
	frappe.set_user(PLAIN_USER)


SYSTEM_MANAGER = "sms-log-manager@example.com"
DESK_USER = "sms-log-desk-user@example.com"
CUSTOM_ROLE_USER = "sms-log-auditor@example.com"
CUSTOM_ROLE = "SMS Log Test Auditor"
SEND_FIELDS = (
	"hourly_recipients_per_user",
	"hourly_recipients_per_system_manager",
	"daily_recipients_for_site",
)


class ServedSiteTestCase(GatewayTestCase):
	"""Users of each kind, one committed log, SMS Settings aimed at a gateway stub, and the site served."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()

		if not frappe.db.exists("Role", CUSTOM_ROLE):
			frappe.get_doc({"doctype": "Role", "role_name": CUSTOM_ROLE, "desk_access": 1}).insert()
		make_user(SYSTEM_MANAGER, ["System Manager"])
		make_user(DESK_USER, ["Blogger"])
		make_user(CUSTOM_ROLE_USER, [CUSTOM_ROLE])
		cls.auth = {
			"Guest": {},
			"Desk User": api_token(DESK_USER),
			"Custom Role": api_token(CUSTOM_ROLE_USER),
			"System Manager": api_token(SYSTEM_MANAGER),
			"Administrator": api_token("Administrator"),
		}
		cls.addClassCleanup(cls.remove_test_data)
		resources = contextlib.ExitStack()
		cls.addClassCleanup(resources.close)
		resources.enter_context(committed_sms_settings(cls.gateway))  # commits the users too

		cls.message = f"API test {frappe.generate_hash(length=10)}"
		sms_settings.send_sms(["+966500000001"], cls.message)
		cls.log_name = committed_logs(message=cls.message)[0].name
		cls.client = resources.enter_context(served_site())
		for who, email in (
			("Desk User", DESK_USER),
			("Custom Role", CUSTOM_ROLE_USER),
			("System Manager", SYSTEM_MANAGER),
		):
			cls.auth[f"{who} (session)"] = cls.session_login(email)

	@classmethod
	def session_login(cls, email):
		"""Log in with a password as the Desk does; the cookies and CSRF token of that session."""
		login = cls.client.request("POST", "/api/method/login", data={"usr": email, "pwd": PASSWORD})
		assert login.ok, login.text
		cookies = {cookie.name: cookie.value for cookie in login.cookies if cookie.name == "sid"}
		desk = cls.client.request("GET", "/app", cookies=cookies)
		csrf_token = re.search(r'csrf_token = "([^"]+)"', desk.text)
		return {
			"cookies": cookies,
			"headers": {"X-Frappe-CSRF-Token": csrf_token.group(1) if csrf_token else ""},
		}

	@classmethod
	def remove_test_data(cls):
		delete_logs(message=("like", "%API test%"))
		for user in (SYSTEM_MANAGER, DESK_USER, CUSTOM_ROLE_USER):
			frappe.delete_doc("User", user, force=True)
		frappe.delete_doc("Role", CUSTOM_ROLE, force=True)
		frappe.db.set_value("User", "Administrator", {"api_key": None, "api_secret": None})
		frappe.db.commit()

	def setUp(self):
		self.gateway.behaviours.clear()

	def request(self, who, method, path, headers=None, **kwargs):
		auth = self.auth[who]
		if "cookies" not in auth:
			auth = {"headers": auth}
		headers = {**auth.get("headers", {}), **(headers or {})}
		return self.client.request(method, path, headers=headers, cookies=auth.get("cookies"), **kwargs)


@contextlib.contextmanager
def committed_send_settings(roles=(), **values):
	"""SMS Log Settings with `roles` listed and `values`, committed for the served site; the previous
	settings are restored and committed afterwards."""
	settings = frappe.get_doc("SMS Log Settings")
	before = {field: settings.get(field) for field in SEND_FIELDS}
	before_roles = [row.role for row in settings.sender_roles]
	apply_send_settings(roles, {**{f: LIMITS.get(f, 0) for f in SEND_FIELDS}, **values})
	try:
		yield
	finally:
		apply_send_settings(before_roles, before)


def apply_send_settings(roles, values):
	settings = frappe.get_doc("SMS Log Settings")
	settings.update(values)
	settings.set("sender_roles", [{"role": role} for role in roles])
	settings.save()
	frappe.db.commit()


def reset_otp_counters():
	"""Start the hourly caps on one-time codes afresh (`send_permission.take_otp`)."""
	for key in frappe.cache.get_keys("sms_log_app:recipients:otp:"):
		frappe.cache.delete(key)


@contextlib.contextmanager
def two_factor_by_sms():
	"""Two-factor login with the code sent by SMS, for users of roles that require it, with the caps on
	codes started afresh."""
	reset_otp_counters()
	before = frappe.db.get_values_from_single(
		["enable_two_factor_auth", "two_factor_method"], None, "System Settings", as_dict=True
	)[0]
	frappe.db.set_single_value("System Settings", {"enable_two_factor_auth": 1, "two_factor_method": "SMS"})
	frappe.db.commit()
	try:
		yield
	finally:
		frappe.db.set_single_value("System Settings", before)
		frappe.db.commit()


# Bulk sends and providers
# -----------------------
WAIT = 120  # seconds a queued send may take before the test gives up


def numbers(count: int, prefix: int) -> list[str]:
	return [f"+9665{prefix}{n:07d}" for n in range(1, count + 1)]


def committed_rows(log_name: str) -> list:
	with separate_connection():
		return frappe.get_all(
			"SMS Log Recipient",
			filters={"parenttype": "SMS Log", "parent": log_name},
			fields=["idx", "number", "status", "error"],
			order_by="idx asc",
		)


def committed_status(log_name: str) -> str:
	with separate_connection():
		return frappe.db.get_value("SMS Log", log_name, "status")


def wait_until(condition, seconds=WAIT, what="the queued send"):
	deadline = time.monotonic() + seconds
	while not condition():
		if time.monotonic() > deadline:
			raise TimeoutError(f"Waited {seconds} s for {what}")
		time.sleep(0.2)


def chunk_jobs(log_name: str) -> list:
	with separate_connection():
		total = frappe.db.get_value("SMS Log", log_name, "noofrequested_sms")
	size = get_settings().recipients_per_job
	return [get_job(bulk_send.job_id(log_name, first)) for first, _last in bulk_send.chunks(total, size)]


@contextlib.contextmanager
def committed_provider(stub: ProviderStub):
	"""SMS Settings on `stub`'s provider and URL, committed for other processes; restored after."""
	before = frappe.get_doc("SMS Settings").as_dict()
	settings = frappe.get_doc("SMS Settings")
	settings.sms_provider = stub.provider
	settings.update(provider_defaults(stub.provider))
	settings.sms_gateway_url = stub.url
	for row in settings.parameters:
		row.value = row.value or "test"
	settings.save()
	frappe.db.commit()
	try:
		yield
	finally:
		settings = frappe.get_doc("SMS Settings")
		fields = ("sms_provider", "sms_gateway_url", "message_parameter", "receiver_parameter", "use_post")
		settings.update({field: before.get(field) for field in fields})
		settings.set(
			"parameters", [{k: p[k] for k in ("parameter", "value", "header")} for p in before.parameters]
		)
		settings.flags.ignore_mandatory = True
		settings.save()
		frappe.db.commit()


def forget_account_refusals(message: str):
	"""Delete the logs carrying `message` and their Notification Logs, and forget the refusals'
	cause and hourly notes, as if none had been met."""
	with separate_connection():
		names = frappe.get_all("SMS Log", filters={"message": ("like", f"{message}%")}, pluck="name")
		if names:
			frappe.db.delete("Notification Log", {"document_type": "SMS Log", "document_name": ("in", names)})
		frappe.db.delete("DefaultValue", {"parent": "__default", "defkey": account_refusals.CAUSE})
	delete_logs(message=("like", f"{message}%"))
	for reason in reasons.ACCOUNT:
		frappe.cache.delete_value(f"sms_log_app:account_refusal_notified:{reason}")
	frappe.cache.delete(frappe.cache.make_key("sms_log_app:account_refusal_cause"))


class ProviderTestCase(FrappeTestCase):
	"""SMS Settings on the stub of `provider` (tests/provider_stubs.py) for the whole class, committed
	for other processes."""

	provider: str

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.stub = ProviderStub(cls.provider).start()
		cls.addClassCleanup(cls.stub.stop)
		settings = committed_provider(cls.stub)
		settings.__enter__()
		cls.addClassCleanup(settings.__exit__, None, None, None)
