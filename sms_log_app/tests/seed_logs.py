"""Realistic SMS Logs, two users, and a contact and a ToDo with SMS on their timelines (and, where
ERPNext is installed, customers and a Sales Invoice with theirs), for looking at the Desk views and for
the browser tests.

Run on a throwaway site:

    bench --site <site> execute sms_log_app.tests.seed_logs.seed

Every log goes through the real capture (`sending.send_and_log`) to a gateway stub on 127.0.0.1 that
rejects some numbers, and is then dated back over the last 30 days. Running it again replaces the
logs of the previous run (those of the senders below) instead of adding to them.
"""

import random

import frappe
from frappe.desk.doctype.kanban_board.kanban_board import quick_kanban_board
from frappe.desk.page.setup_wizard.setup_wizard import setup_complete
from frappe.utils import add_to_date, fmt_money, getdate, now_datetime
from frappe.utils.password import update_password

from sms_log_app import daily_totals, delivery, delivery_reports, opt_out_link, send_permission, sending
from sms_log_app.references import reference, send_after
from sms_log_app.tests.gateway_stub import GatewayStub
from sms_log_app.tests.provider_stubs import ProviderStub
from sms_log_app.tests.utils import (
	committed_provider,
	committed_sms_settings,
	configure_sms_settings,
	delete_logs,
	set_site_country,
)

MANAGER = "sms.manager@example.com"
PLAIN_USER = "sms.plain@example.com"
PASSWORD = "Desk-Seed-2026!"

# The number the browser tests look up, written here in each of the ways people type it.
SEARCHED_NUMBER = "+966500000001"
SEARCHED_FORMS = ("0500000001", "+966500000001", "966500000001", "+966 50 000 0001")

# HTML and script in the message, a number and the sender name: every view must show it as text.
HOSTILE_MESSAGE = (
	"<img src=x onerror=window.__xss=1> Your code is <b>1234</b> <script>window.__xss=2</script>"
)
HOSTILE_NUMBER = "<img src=x onerror=window.__xss=3>"
HOSTILE_SENDER = "<img src=x onerror=window.__xss=4>Mallory"
# The address of a refused request, as older releases took it from X-Forwarded-For (the client's).
HOSTILE_ADDRESS = "<img src=x onerror=window.__xss=5>"
HOSTILE_REPORT_ID = "<img src=x onerror=window.__xss=6>"
BALANCE_SENDER = "Balance Demo"  # the log of a send stopped for an empty balance
# a campaign scheduled for next month, with HTML in its message: its form offers Cancel Send
SCHEDULED_SENDER = "Campaign Desk"
SCHEDULED_MESSAGE = "<img src=x onerror=window.__xss=7>Ramadan offer: 20% off"

# A Kanban board of the logs by status and a calendar of them by sending time, whose cards and events
# show the hostile log among the others (the calendar by its raw sender name, the worst a user can pick).
KANBAN_BOARD = "SMS Logs by Status"
CALENDAR_VIEW = "SMS Logs by Sending Time"

# A contact whose mobile is SEARCHED_NUMBER typed in local format, and the document the hostile log was
# sent for: the browser tests read the SMS on their form timelines.
TIMELINE_CONTACT = "Huda Timeline"
TIMELINE_TODO = "Payment reminder, with its SMS on the timeline"

# Where ERPNext is installed: customers with mobiles (typed in local format) and a Sales Invoice of the
# first one, with SMS sent for the invoice and to each customer, on their form timelines at once.
DEMO_CUSTOMERS = (
	("Al Noor Trading", "0551000001"),
	("Riyadh Family Clinics", "0551000002"),
	("Sahara Logistics", "0551000003"),
)
DEMO_ITEM = "SMS Demo Consulting Hour"

SENDERS = ("Noura Al-Qahtani", "Collections Desk", "Clinic Reminders", "Support Team", "Scheduler")
MESSAGES = (
	"Dear customer, invoice {ref} of SAR {amount} is due on {date}. Thank you.",
	"Your appointment is confirmed for {date} at 10:30. Reply STOP to opt out.",
	"Your order {ref} has been shipped and will arrive within 2 days.",
	"عميلنا العزيز، الفاتورة {ref} بمبلغ {amount} ريال مستحقة بتاريخ {date}. شكراً لكم.",
	"تم تأكيد موعدك يوم {date} الساعة 10:30 صباحاً. للإلغاء أرسل إلغاء.",
	"تم شحن طلبك {ref} وسيصل خلال يومين.",
	"Reminder: your subscription renews on {date}. Questions? Call 920000000.",
)
GOOD_NUMBERS = [f"+96650{n:07d}" for n in range(2, 40)]
REJECTED_NUMBERS = {"+966511111111": "reject", "+966522222222": "reject", "+966533333333": "error"}


OPT_OUT_NUMBER = "+966599000001"  # the browser tests opt it out through its link


def opt_out_page_path() -> str:
	"""The path of OPT_OUT_NUMBER's opt-out link (for the browser tests, which cannot sign one), with
	its opt-out, if an earlier run recorded one, deleted."""
	frappe.db.delete("SMS Opt-Out", {"name": OPT_OUT_NUMBER})
	frappe.db.commit()
	return opt_out_link.link(OPT_OUT_NUMBER).removeprefix(frappe.utils.get_url())


def seed(count: int = 300, days: int = 30, rng_seed: int = 20261127):
	"""Replace the seeded logs with `count` new ones spread over the last `days` days."""
	rng = random.Random(rng_seed)
	complete_setup()
	set_site_country()
	make_users()
	documents = make_references()
	timeline_todo = make_timeline_documents()
	invoice = make_erpnext_documents()
	make_board_and_calendar()
	delete_logs(sender_name=("in", (*SENDERS, HOSTILE_SENDER, BALANCE_SENDER, SCHEDULED_SENDER)))
	frappe.db.commit()
	# first: the sends below succeed, which clears its cause from the workspace
	send_stopped_for_balance()

	with GatewayStub() as gateway, committed_sms_settings(gateway):
		gateway.behaviours.update(REJECTED_NUMBERS)
		for i in range(count):
			# about a fifth of them today, the rest spread over the earlier days
			age = 0 if i % 5 == 0 else rng.randrange(days)
			sent_at = add_to_date(now_datetime(), days=-age, minutes=-rng.randrange(600) if age else -i)
			send(rng, documents, sent_at, searched=i % 12 == 0)
		if invoice:
			send_erpnext_demo(invoice)
		with send_after(add_to_date(now_datetime(), days=30)):
			name = sending.send_and_log(["+966509999001"], SCHEDULED_MESSAGE, sender_name=SCHEDULED_SENDER)
		backdate(name, add_to_date(now_datetime(), minutes=-1))
		# the newest log carries HTML and script everywhere a user can put it
		with reference("ToDo", timeline_todo):
			name = sending.send_and_log(
				[HOSTILE_NUMBER, SEARCHED_NUMBER], HOSTILE_MESSAGE, sender_name=HOSTILE_SENDER
			)
		backdate(name, now_datetime())
	frappe.db.commit()
	refuse_from_hostile_address()
	keep_hostile_report()


def refuse_from_hostile_address():
	"""A send of the plain user refused for their role, with HTML for its address: what releases before
	`sms_log_app.client_address` recorded from X-Forwarded-For, which the client writes. Such records
	stay on a site until Log Settings clear them."""
	frappe.db.delete("SMS Send Refusal", {"user": PLAIN_USER})
	frappe.db.commit()
	send_permission.record_refusal(PLAIN_USER, send_permission.ROLE, 1)
	frappe.db.set_value(
		"SMS Send Refusal", {"user": PLAIN_USER}, "ip_address", HOSTILE_ADDRESS, update_modified=False
	)
	frappe.db.commit()


def send_stopped_for_balance():
	"""A send to three numbers through Msegat with an empty balance, two days ago."""
	with ProviderStub("Msegat") as stub, committed_provider(stub):
		stub.failure = "balance"
		name = sending.send_and_log(
			["+966509000001", "+966509000002", "+966509000003"],
			"Your order has shipped.",
			sender_name=BALANCE_SENDER,
		)
	backdate(name, add_to_date(now_datetime(), days=-2))
	frappe.db.commit()


def keep_hostile_report():
	"""A delivery report no send knows, with HTML for its message id and number, kept as it came."""
	frappe.db.delete("SMS Delivery Report", {"message_id": HOSTILE_REPORT_ID})
	payload = {"message_id": HOSTILE_REPORT_ID, "to": HOSTILE_NUMBER, "status": "delivered"}
	report = delivery.parse_report(payload, delivery.PRESETS["Generic"])
	delivery_reports.keep_report(report, payload, None)
	frappe.db.commit()


def complete_setup():
	"""Past the setup wizard, as a Saudi site (national numbers are read as Saudi ones); where ERPNext
	is installed, with a company, so that ERPNext's Desk opens. A site already set up is left as it is."""
	args = {"language": "English", "country": "Saudi Arabia", "timezone": "Asia/Riyadh", "currency": "SAR"}
	if "erpnext" in frappe.get_installed_apps():
		year = now_datetime().year
		args |= {
			"company_name": "Dafater Demo",
			"company_abbr": "DD",
			"chart_of_accounts": "Standard",
			"fy_start_date": f"{year}-01-01",
			"fy_end_date": f"{year}-12-31",
			"full_name": "Demo Administrator",
			"email": "demo@example.com",
			"industry": "Services",
		}
	setup_complete(args)
	frappe.db.commit()


def send(rng: random.Random, documents: list[tuple[str, str]], sent_at, searched: bool):
	numbers = rng.sample(GOOD_NUMBERS, rng.choice((1, 1, 1, 2, 3)))
	if searched:
		numbers.append(rng.choice(SEARCHED_FORMS))
	if rng.random() < 0.15:
		numbers.append(rng.choice(list(REJECTED_NUMBERS)))
	if rng.random() < 0.05:
		numbers = [rng.choice(list(REJECTED_NUMBERS))]
	message = rng.choice(MESSAGES).format(
		ref=f"INV-{rng.randrange(1000, 9999)}",
		amount=rng.randrange(50, 5000),
		date=f"{getdate(sent_at):%Y-%m-%d}",
	)
	sender = rng.choice(SENDERS)
	if rng.random() < 0.6:
		with reference(*rng.choice(documents)):
			name = sending.send_and_log(numbers, message, sender_name=sender)
	else:
		name = sending.send_and_log(numbers, message, sender_name=sender)
	backdate(name, sent_at)


def backdate(name: str, sent_at):
	"""Date a log (and its recipients, and its count in the daily totals) as if it had been sent at
	`sent_at`."""
	before = frappe.db.get_value("SMS Log", name, daily_totals.COUNTED_FIELDS, as_dict=True, for_update=True)
	frappe.db.set_value(
		"SMS Log",
		name,
		{"sent_at": sent_at, "sent_on": getdate(sent_at), "creation": sent_at, "modified": sent_at},
		update_modified=False,
	)
	daily_totals.move(before, {**before, "sent_on": getdate(sent_at)})
	recipient = frappe.qb.DocType("SMS Log Recipient")
	frappe.qb.update(recipient).set(recipient.creation, sent_at).set(recipient.modified, sent_at).where(
		recipient.parent == name
	).run()
	# the capture writes the next log on a connection of its own: hold no locks across it
	frappe.db.commit()


def make_users():
	"""A System Manager, in English (who may also sell, where ERPNext is installed), and a Desk user who
	may not read SMS Logs."""
	for email, first_name, role in (
		(MANAGER, "SMS Manager", "System Manager"),
		(PLAIN_USER, "Plain User", "Blogger"),
	):
		if not frappe.db.exists("User", email):
			user = frappe.get_doc({"doctype": "User", "email": email, "first_name": first_name})
			user.append_roles(role)
			user.flags.no_welcome_mail = True
			user.insert(ignore_permissions=True)
		frappe.db.set_value("User", email, "language", "en")
		update_password(email, PASSWORD)
	if "erpnext" in frappe.get_installed_apps():
		# ERPNext's Sales Invoices and Customers, for their timelines and their Send SMS
		user = frappe.get_doc("User", MANAGER)
		if missing := {"Accounts User", "Sales User"} - {row.role for row in user.roles}:
			user.add_roles(*sorted(missing))


def make_timeline_documents() -> str:
	"""The contact of SEARCHED_NUMBER, its mobile typed in local format, and the ToDo the hostile log
	is sent for; returns the ToDo's name."""
	if not frappe.db.exists("Contact", {"first_name": TIMELINE_CONTACT}):
		frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": TIMELINE_CONTACT,
				"phone_nos": [{"phone": SEARCHED_FORMS[0], "is_primary_mobile_no": 1}],
			}
		).insert(ignore_permissions=True)
	todo = frappe.db.get_value("ToDo", {"description": TIMELINE_TODO})
	return todo or frappe.get_doc({"doctype": "ToDo", "description": TIMELINE_TODO}).insert().name


def make_board_and_calendar():
	if not frappe.db.exists("Kanban Board", KANBAN_BOARD):
		quick_kanban_board("SMS Log", KANBAN_BOARD, "status")
	if not frappe.db.exists("Calendar View", CALENDAR_VIEW):
		frappe.get_doc(
			{
				"doctype": "Calendar View",
				"__newname": CALENDAR_VIEW,
				"reference_doctype": "SMS Log",
				"subject_field": "sender_name",
				"start_date_field": "sent_at",
				"end_date_field": "sent_at",
			}
		).insert(ignore_permissions=True)
	frappe.db.commit()


def make_erpnext_documents() -> str | None:
	"""Where ERPNext is installed: the demo customers, each with a mobile on its primary contact, and a
	submitted Sales Invoice of the first; returns the invoice's name (None without ERPNext)."""
	if "erpnext" not in frappe.get_installed_apps():
		return None
	import erpnext

	for customer_name, mobile in DEMO_CUSTOMERS:
		if not frappe.db.exists("Customer", customer_name):
			# ERPNext makes the customer's primary contact from mobile_no
			frappe.get_doc(
				{
					"doctype": "Customer",
					"customer_name": customer_name,
					"customer_type": "Company",
					"mobile_no": mobile,
				}
			).insert(ignore_permissions=True)
	if not frappe.db.exists("Item", DEMO_ITEM):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": DEMO_ITEM,
				"item_group": frappe.db.get_value("Item Group", {"is_group": 0}, "name"),
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert(ignore_permissions=True)
	customer = DEMO_CUSTOMERS[0][0]
	invoice = frappe.db.get_value("Sales Invoice", {"customer": customer, "docstatus": 1})
	if not invoice:
		doc = frappe.get_doc(
			{
				"doctype": "Sales Invoice",
				"customer": customer,
				"company": erpnext.get_default_company(),
				"items": [{"item_code": DEMO_ITEM, "qty": 2, "rate": 150}],
			}
		)
		doc.insert(ignore_permissions=True)
		doc.submit()
		invoice = doc.name
	frappe.db.commit()
	return invoice


def send_erpnext_demo(invoice: str):
	"""A reminder for the invoice to its customer's mobile, and a greeting to each demo customer."""
	for i, (customer_name, mobile) in enumerate(DEMO_CUSTOMERS):
		name = sending.send_and_log(
			[mobile], f"Dear {customer_name}, thank you for choosing us.", sender_name="Support Team"
		)
		backdate(name, add_to_date(now_datetime(), hours=-(i + 2)))
	total, currency = frappe.db.get_value("Sales Invoice", invoice, ["grand_total", "currency"])
	with reference("Sales Invoice", invoice):
		sending.send_and_log(
			[DEMO_CUSTOMERS[0][1]],
			f"Invoice {invoice} of {fmt_money(total, currency=currency)} is due. Thank you.",
			sender_name="Collections Desk",
		)


def make_references() -> list[tuple[str, str]]:
	"""Documents the logs are about: a few ToDos, and the users."""
	todos = []
	for description in (
		"Call back about invoice INV-2041",
		"Confirm clinic appointment",
		"Follow up order 7731",
	):
		name = frappe.db.get_value("ToDo", {"description": description})
		if not name:
			name = frappe.get_doc({"doctype": "ToDo", "description": description}).insert().name
		todos.append(("ToDo", name))
	return [*todos, ("User", MANAGER), ("User", PLAIN_USER)]


def use_gateway(url: str):
	"""Point SMS Settings at the gateway stub listening at `url` and keep them (scripts/try), with a
	sender ID and its promotional -AD twin, so that promotional sends (SMS Center's) pass a Saudi
	site's rules; at any hour, since the demo and the browser tests run at any hour."""
	configure_sms_settings(frappe._dict(url=url, receiver_parameter="to"), static={"sender": "SMSLog"})
	frappe.db.set_single_value(
		"SMS Log Settings",
		{
			"sender_parameter": "sender",
			"promotional_sender_id": "SMSLog-AD",
			"promotional_hours_start": "00:00",
			"promotional_hours_end": "00:00",
		},
	)
	frappe.db.commit()
