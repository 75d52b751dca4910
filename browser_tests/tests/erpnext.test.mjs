// ERPNext's own ways of sending SMS, driven in Debian's Chromium on an ERPNext site seeded by
// sms_log_app.tests.seed_logs.seed (its demo customers and Sales Invoice). On a site without ERPNext
// these tests are skipped. See README.md, "Browser tests".
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import {
	ARTIFACTS,
	MANAGER,
	launch,
	login,
	new_page,
	open,
	xcall,
	xss_fired,
} from "./helpers.mjs";

// What the seed makes where ERPNext is installed.
const DEMO_CUSTOMER = "Al Noor Trading";

mkdirSync(ARTIFACTS, { recursive: true });

describe("ERPNext's SMS", { concurrency: 1 }, () => {
	let browser, page, erpnext, invoice;
	const shot = (name) => page.screenshot({ path: join(ARTIFACTS, name), fullPage: false });
	const entries = () => page.locator(".timeline-content .sms-log-timeline-entry");
	const logs_of = (message) =>
		xcall(page, "frappe.client.get_list", {
			doctype: "SMS Log",
			filters: { message },
			fields: ["name", "status", "reference_doctype", "reference_name", "noofrequested_sms"],
		});

	before(async () => {
		browser = await launch();
		page = await new_page(browser, { viewport: { width: 1600, height: 1000 } });
		await login(page, MANAGER);
		erpnext = await page.evaluate(() => Boolean(frappe.boot.versions?.erpnext));
	});

	after(async () => {
		await browser?.close();
	});

	it("sends a Sales Invoice's SMS from its form, on the invoice's and its customer's timelines", async (t) => {
		if (!erpnext) return t.skip("no ERPNext on this site");
		[invoice] = await page.evaluate(
			(customer) =>
				frappe.db.get_list("Sales Invoice", {
					filters: { customer, docstatus: 1 },
					pluck: "name",
				}),
			DEMO_CUSTOMER
		);
		assert.ok(invoice, "the seed made a Sales Invoice of the demo customer");
		await open(page, `/app/sales-invoice/${invoice}`);
		await page.waitForFunction((name) => cur_frm?.doc?.name === name, invoice);
		// the seed's reminder is on the invoice's timeline at once
		await entries().first().waitFor();
		assert.match(await entries().first().innerText(), new RegExp(`Invoice ${invoice}`));

		// ... > Send SMS, as a user does: the number comes from the invoice's contact
		assert.ok(
			await page.evaluate(() => frappe.boot.sms_gateway_enabled),
			"SMS Settings are set"
		);
		await page.locator(".page-actions .menu-btn-group > button:visible").click();
		await page.locator(".dropdown-menu.show .dropdown-item", { hasText: "Send SMS" }).click();
		const dialog = page.locator(".modal.show", { hasText: "Mobile Number" });
		await dialog.waitFor();
		await page.waitForFunction(() => cur_dialog?.get_value("number"));
		// it asks for the class and when to send; empty: now
		for (const fieldname of ["message_class", "send_after"]) {
			assert.ok(
				await dialog.locator(`.frappe-control[data-fieldname=${fieldname}]`).isVisible(),
				`the dialog has ${fieldname}`
			);
		}
		const message = `Browser test: invoice ${invoice} ${Date.now()}`;
		await page.evaluate((message) => cur_dialog.set_value("message", message), message);
		await dialog.locator("button[data-fieldname=send]").click();
		await dialog.waitFor({ state: "hidden" });

		const [log] = await logs_of(message);
		assert.ok(log, "the SMS is logged");
		assert.equal(log.reference_doctype, "Sales Invoice");
		assert.equal(log.reference_name, invoice);
		assert.equal(log.status, "Sent");

		await open(page, `/app/sales-invoice/${invoice}`);
		await page.locator(".sms-log-timeline-entry", { hasText: message }).waitFor();
		await page
			.locator(".sms-log-timeline-entry", { hasText: message })
			.scrollIntoViewIfNeeded();
		await shot("erpnext-01-invoice-timeline.png");

		await open(page, `/app/customer/${encodeURIComponent(DEMO_CUSTOMER)}`);
		await page.locator(".sms-log-timeline-entry", { hasText: message }).waitFor();
		await page
			.locator(".sms-log-timeline-entry", { hasText: message })
			.scrollIntoViewIfNeeded();
		assert.equal(await xss_fired(page), false, "no script ran");
		await shot("erpnext-02-customer-timeline.png");

		// the log's form leads back to the invoice
		await open(page, `/app/sms-log/${log.name}`);
		const open_invoice = page.locator(".page-actions button", {
			hasText: "Open Sales Invoice",
		});
		await open_invoice.waitFor();
		await shot("erpnext-03-log-of-invoice.png");
		await open_invoice.click();
		await page.waitForFunction((name) => cur_frm?.doc?.name === name, invoice);
	});

	it("shows SMS Center with the message class and the time to send", async (t) => {
		if (!erpnext) return t.skip("no ERPNext on this site");
		await open(page, "/app/sms-center");
		await page.waitForFunction(() => cur_frm?.doctype === "SMS Center");
		const fields = await page.evaluate(() =>
			["sms_message_class", "sms_send_after"].map((fieldname) => {
				const field = cur_frm.fields_dict[fieldname];
				return [field?.df.fieldtype, field?.df.label, $(field?.wrapper).is(":visible")];
			})
		);
		assert.deepEqual(fields, [
			["Select", "SMS Message Class", true],
			["Datetime", "Send At", true],
		]);
		// the form opens on Promotional (a Single shows what it stores: the app stores it)
		assert.equal(await page.evaluate(() => cur_frm.doc.sms_message_class), "Promotional");
		await shot("erpnext-04b-sms-center-class-and-time.png");
	});

	it("queues an SMS Center send to more customers than the queue threshold, then completes it", async (t) => {
		if (!erpnext) return t.skip("no ERPNext on this site");
		const settings = await xcall(page, "frappe.client.get", {
			doctype: "SMS Log Settings",
			name: "SMS Log Settings",
		});
		const set_limits = (values) =>
			xcall(page, "frappe.client.set_value", {
				doctype: "SMS Log Settings",
				name: "SMS Log Settings",
				fieldname: values,
			});
		// a threshold below the demo's three customers, and a slow gateway rate, so that the send is
		// queued and takes a few seconds
		await set_limits({ queue_threshold: 2, messages_per_second: 1 });
		try {
			await open(page, "/app/sms-center");
			await page.waitForFunction(() => cur_frm?.doctype === "SMS Center");
			await page.evaluate(() => cur_frm.set_value("send_to", "All Customer Contact"));
			await page.click("button[data-fieldname=create_receiver_list]");
			// the form is drawn again when the list comes back: read it from the form Desk shows then
			const customers = await page
				.waitForFunction(() => {
					const list = window.cur_frm?.doc?.receiver_list || "";
					return list.includes("0551000003") && list.split("\n").filter(Boolean).length;
				})
				.then((handle) => handle.jsonValue());
			assert.ok(customers > 2, `more customers (${customers}) than the queue threshold (2)`);
			const message = `Browser test: SMS Center ${Date.now()}`;
			await page.waitForFunction(() => window.cur_frm?.doctype === "SMS Center");
			await page.evaluate((message) => cur_frm.set_value("message", message), message);
			await shot("erpnext-04-sms-center.png");
			await page.click("button[data-fieldname=send_sms]");

			const logged = async () => {
				for (let i = 0; i < 60; i++) {
					const [log] = await logs_of(message);
					if (log) return log;
					await page.waitForTimeout(500);
				}
				assert.fail("the SMS Center send is logged");
			};
			const { name } = await logged();

			await open(page, `/app/sms-log/${name}`);
			await page.waitForFunction((name) => cur_frm?.doc?.name === name, name);
			const first = await page.evaluate(() => cur_frm.doc.status);
			assert.ok(
				["Queued", "Sent"].includes(first),
				`the log is Queued while it goes out, then Sent (${first})`
			);
			if (first === "Queued") {
				assert.match(await page.locator(".form-layout").innerText(), /Queued/);
				// the form shows how far the send has got, and moves on by itself when it is done
				const progress = page.locator(".form-dashboard .progress-chart", {
					hasText: "recipients",
				});
				await progress.waitFor();
				assert.match(await progress.innerText(), new RegExp(`of ${customers} recipients`));
				await shot("erpnext-05-sms-center-queued.png");
			}
			await page.waitForFunction(() => cur_frm.doc.status !== "Queued", null, {
				timeout: 60000,
			});
			const [log] = await logs_of(message);
			assert.equal(log.status, "Sent");
			assert.equal(log.noofrequested_sms, customers);
			assert.match(
				await page.locator(".form-message").innerText(),
				/accepted by the gateway/
			);
			await shot("erpnext-06-sms-center-sent.png");
		} finally {
			await set_limits({
				queue_threshold: settings.queue_threshold,
				messages_per_second: settings.messages_per_second,
			});
		}
	});
});
