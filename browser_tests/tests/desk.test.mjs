// The SMS Log Desk, driven in Debian's Chromium against a site seeded by
// sms_log_app.tests.seed_logs.seed. See README.md, "Browser tests".
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import {
	ARTIFACTS,
	assert_readable_dates,
	BASE_URL,
	HOSTILE_ADDRESS,
	HOSTILE_MESSAGE,
	BALANCE_SENDER,
	HOSTILE_NUMBER,
	HOSTILE_REPORT_ID,
	HOSTILE_SENDER,
	HOSTILE_TITLE,
	CALENDAR_VIEW,
	KANBAN_BOARD,
	MANAGER,
	PLAIN_USER,
	SCHEDULED_MESSAGE,
	SCHEDULED_SENDER,
	SEARCHED_E164,
	SEARCHED_LOCAL,
	TIMELINE_CONTACT,
	TIMELINE_TODO,
	launch,
	login,
	new_page,
	open,
	open_list,
	set_language,
	wait_for_bars,
	xcall,
	xss_fired,
} from "./helpers.mjs";

mkdirSync(ARTIFACTS, { recursive: true });

describe("SMS Log Desk", { concurrency: 1 }, () => {
	let browser, page, hostile_log;
	const shot = (name) => page.screenshot({ path: join(ARTIFACTS, name), fullPage: false });

	before(async () => {
		browser = await launch();
		page = await new_page(browser, { viewport: { width: 1600, height: 1000 } });
	});

	after(async () => {
		// leave the manager in English for the next run, whatever happened
		if (page) await set_language(page, MANAGER, "en").catch(() => {});
		await browser?.close();
	});

	it("logs in as System Manager", async () => {
		await login(page, MANAGER);
		assert.equal(await xcall(page, "frappe.auth.get_logged_user"), MANAGER);
		await set_language(page, MANAGER, "en"); // whatever an interrupted run left behind
		await open(page, "/app");
		await shot("01-login.png");
		[hostile_log] = await page.evaluate(() =>
			frappe.db.get_list("SMS Log", {
				filters: { sender_name: ["like", "%Mallory%"] },
				pluck: "name",
			})
		);
		assert.ok(hostile_log, "the seed has a log carrying HTML and script");
	});

	it("lists the logs newest first with columns and status colours", async () => {
		await open_list(page);
		const headers = await page.locator(".list-row-head").innerText();
		for (const label of ["Sender", "Status", "Sent At", "Message", "Requested Numbers"]) {
			assert.match(headers, new RegExp(label));
		}
		const count = await page.locator(".list-count").innerText();
		const total = Number(count.split(" of ")[1]);
		assert.ok(total >= 300, `a few hundred logs are listed (${count})`);
		const pills = await page
			.locator(".list-row .indicator-pill")
			.evaluateAll((els) => els.map((el) => [el.innerText.trim(), el.className]));
		assert.ok(pills.some(([text, cls]) => text === "Sent" && cls.includes("blue")));
		assert.ok(
			pills.some(([text, cls]) => text === "Partially Sent" && cls.includes("orange"))
		);
		const sent_at = await page.evaluate(() =>
			cur_list.data.map((d) => d.creation).filter(Boolean)
		);
		assert.deepEqual(sent_at, [...sent_at].sort().reverse(), "newest first");
		await shot("02-list.png");
	});

	it("filters the list by status", async () => {
		await page.selectOption(
			".standard-filter-section select[data-fieldname=status]",
			"Failed"
		);
		await page.waitForFunction(
			() =>
				cur_list.data.length > 0 &&
				cur_list.data.every((d) => d.status === "Failed") &&
				!cur_list.$result.find(".list-loading").is(":visible")
		);
		const statuses = await page
			.locator(".list-row-container .list-row .indicator-pill")
			.allInnerTexts();
		assert.ok(statuses.length > 0);
		assert.deepEqual(new Set(statuses.map((s) => s.trim())), new Set(["Failed"]));
		await shot("03-list-status-failed.png");
		await page.selectOption(".standard-filter-section select[data-fieldname=status]", "");
		// the next test's search must not race this refresh: a late answer would overwrite its rows
		await page.waitForFunction(
			() =>
				!cur_list.filter_area.get().some((f) => f[1] === "status") &&
				frappe.request.ajax_count === 0
		);
	});

	it("finds the logs of a number typed in local format", async () => {
		const expected = await xcall(page, "frappe.client.get_count", {
			doctype: "SMS Log",
			filters: [["SMS Log Recipient", "normalized_number", "=", SEARCHED_E164]],
		});
		assert.ok(expected > 10, "the seed sent to the number in several formats");

		await page.fill(".sms-log-phone-search input", SEARCHED_LOCAL);
		await page.press(".sms-log-phone-search input", "Enter");
		await page.waitForFunction(
			(e164) =>
				cur_list.filter_area
					.get()
					.some((f) => f[1] === "normalized_number" && f[3] === e164),
			SEARCHED_E164
		);
		// the rows of a refresh started before the search can still be drawn after its count: wait for
		// the search's own rows, then check each of them
		await page.waitForFunction(
			(n) =>
				frappe.request.ajax_count === 0 &&
				$(".list-count").text().trim().endsWith(`of ${n}`) &&
				cur_list.data.every((d) =>
					/0500000001|966500000001|\+966 50 000 0001/.test(d.requested_numbers)
				),
			expected
		).catch(() => {});
		const numbers = await page.evaluate(() => cur_list.data.map((d) => d.requested_numbers));
		for (const requested of numbers) {
			assert.match(requested, /0500000001|966500000001|\+966 50 000 0001/);
		}
		await shot("04-list-search-local-number.png");
		await page.fill(".sms-log-phone-search input", "");
		await page.press(".sms-log-phone-search input", "Enter");
	});

	it("opens a log read-only, with its summary, message and recipients", async () => {
		await open_list(page);
		await page.locator(".list-row-container .list-row .list-subject a").nth(1).click();
		await page.waitForSelector(".form-layout [data-fieldname=recipients] .grid-row");
		const name = await page.evaluate(() => cur_frm.doc.name);
		assert.match(page.url(), new RegExp(encodeURIComponent(name)));
		assert.match(
			await page.locator(".form-message").innerText(),
			/recipients accepted by the gateway/
		);
		for (const field of ["status", "sent_at", "sender_name", "segments", "message"]) {
			assert.ok(
				await page
					.locator(`.form-layout .frappe-control[data-fieldname=${field}]`)
					.isVisible(),
				`${field} is shown`
			);
		}
		assert.equal(await page.locator(".page-actions .primary-action:visible").count(), 0);
		await page.locator(".page-actions .menu-btn-group > button:visible").click();
		const menu = await page
			.locator(".page-actions .menu-btn-group .dropdown-menu.show")
			.innerText();
		for (const action of ["Duplicate", "Delete", "New SMS Log"]) {
			assert.doesNotMatch(menu, new RegExp(action));
		}
		await page.keyboard.press("Escape");
		const read_only = await page.evaluate(() =>
			cur_frm.fields.every((f) => f.disp_status !== "Write")
		);
		assert.ok(read_only, "no field can be edited");
		await shot("05-form.png");
	});

	it("runs the SMS Delivery Summary report with a date filter", async () => {
		await open(page, "/app/query-report/SMS Delivery Summary");
		await page.waitForSelector(".dt-row-0");
		const from_date = await page.evaluate(() => {
			const from_date = frappe.datetime.add_days(frappe.datetime.get_today(), -6);
			frappe.query_report.set_filter_value("from_date", from_date);
			return from_date;
		});
		await page.waitForFunction(
			(from) =>
				frappe.query_report.data?.length > 0 &&
				frappe.query_report.get_filter_value("from_date") === from &&
				frappe.query_report.data.every((row) => !row.sent_on || row.sent_on >= from),
			from_date
		);
		await page.locator(".dt-header", { hasText: "Sender Name" }).first().waitFor();
		const headers = await page.locator(".dt-header").innerText();
		for (const label of [
			"Sent On",
			"Sender Name",
			"Status",
			"Requested",
			"Sent",
			"Skipped",
			"Failed",
			"Segments",
		]) {
			assert.match(headers, new RegExp(label));
		}
		assert.match(await page.locator(".dt-footer").innerText(), /Total/);
		await wait_for_bars(page, ".chart-wrapper");
		await shot("06-report-last-7-days.png");
		// the default range, 30 days
		await page.evaluate(() =>
			frappe.query_report.set_filter_value(
				"from_date",
				frappe.datetime.add_days(frappe.datetime.get_today(), -29)
			)
		);
		await page.waitForFunction(
			() => document.querySelectorAll(".chart-wrapper svg .x.axis text").length === 30
		);
		await wait_for_bars(page, ".chart-wrapper");
		await assert_readable_dates(page, ".chart-wrapper", assert);
		await shot("06b-report-30-days.png");
	});

	it("opens the SMS Logs workspace with its number cards, chart and shortcuts", async () => {
		await open(page, "/app/sms-logs");
		await page.waitForSelector(".number-widget-box .number");
		await page.waitForFunction(
			() => document.querySelectorAll(".number-widget-box .number").length === 4
		);
		const cards = await page
			.locator(".number-widget-box")
			.evaluateAll((boxes) =>
				boxes.map((box) => [
					box.querySelector(".widget-title").innerText.trim(),
					box.querySelector(".number").innerText.trim(),
				])
			);
		assert.equal(cards.length, 4);
		assert.deepEqual(
			cards.map(([title]) => title.toUpperCase()),
			[
				"SMS SENT TODAY",
				"SMS FAILED TODAY",
				"SMS DELIVERY RATE (30 DAYS)",
				"SMS PROVIDER BALANCE",
			]
		);
		assert.match(cards[0][1], /^\d+$/);
		assert.match(cards[1][1], /^\d+$/);
		assert.match(cards[2][1], /^\d+(\.\d)?%$/, "the delivery rate has one decimal at most");
		assert.match(
			cards[3][1],
			/^\d[\d.,]*( \S+)?$/,
			"the provider's balance as last read (0 before a check)"
		);
		await wait_for_bars(page, ".widget.dashboard-widget-box");
		await assert_readable_dates(page, ".widget.dashboard-widget-box", assert);
		// a legend entry per status, each whole and inside the chart (Frappe Charts cut them off)
		const legend = await page.locator(".widget.dashboard-widget-box").evaluate((widget) => {
			const chart = widget.querySelector("svg.frappe-chart").getBoundingClientRect();
			return [...widget.querySelectorAll(".chart-legend text")].map((text) => {
				const box = text.getBoundingClientRect();
				return [
					text.textContent,
					box.right <= chart.right + 0.5 && box.bottom <= chart.bottom + 0.5,
				];
			});
		});
		assert.equal(legend.length, 12);
		for (const [label, inside] of legend) {
			assert.ok(!label.endsWith("..."), `"${label}" is whole`);
			assert.ok(inside, `"${label}" is inside the chart`);
		}
		const shortcuts = await page.locator(".shortcut-widget-box").allInnerTexts();
		assert.deepEqual(
			shortcuts.map((s) => s.trim()),
			[
				"SMS Log",
				"SMS Delivery Summary",
				"SMS Send Refusal",
				"SMS Opt-Out",
				"SMS Delivery Report",
				"SMS Log Settings",
			]
		);
		await shot("07-workspace.png");
	});

	describe("HTML and script sent in a message, a number and a sender name", () => {
		const assert_literal = async (selector, literal) => {
			assert.equal(await xss_fired(page), false, "no script ran");
			const text = await page.locator(selector).innerText();
			assert.ok(text.includes(literal), `"${literal}" is shown as text`);
		};

		it("is text in the list", async () => {
			// the Sender filter: the title, the sender name without markup
			await open_list(page, "?title=" + encodeURIComponent(HOSTILE_TITLE));
			await page.waitForFunction(() => cur_list.data.length === 1);
			await assert_literal(".list-row-container", HOSTILE_MESSAGE);
			await assert_literal(".list-row-container", HOSTILE_NUMBER);
			// the list's subject is the log's title: the sender name without its markup
			await assert_literal(".list-row-container .list-subject", HOSTILE_TITLE);
			assert.doesNotMatch(
				await page.locator(".list-row-container .list-subject").innerText(),
				/onerror/
			);
			await shot("08-hostile-list.png");
		});

		it("is text in the form", async () => {
			await open(page, `/app/sms-log/${hostile_log}`);
			await page.waitForSelector(".form-layout [data-fieldname=recipients] .grid-row");
			await assert_literal(".form-layout", HOSTILE_MESSAGE);
			await assert_literal(".form-layout", HOSTILE_NUMBER);
			await assert_literal(".page-head", "Mallory");
			// the app's form and list scripts ran, once, whichever app owns SMS Log
			const scripts = await page.evaluate(() => {
				const meta = locals.DocType["SMS Log"];
				return `${meta.__js}\n${meta.__list_js}`;
			});
			for (const script of ["sms_log.js", "sms_log_list.js", "verbatim_fields.js"]) {
				assert.equal(
					scripts.split(`sms_log_app/public/js/${script} */`).length - 1,
					1,
					`${script} is loaded once`
				);
			}
			for (const button of ["Resend", "Open ToDo"]) {
				assert.ok(
					await page.locator(".page-actions button", { hasText: button }).isVisible(),
					`${button} is offered`
				);
			}
			assert.equal(await page.locator(".page-actions .primary-action:visible").count(), 0);
			await shot("09-hostile-form.png");
		});

		it("is text in the report", async () => {
			await open(page, "/app/query-report/SMS Delivery Summary?sender=Mallory");
			await page.waitForFunction(() => frappe.query_report.data?.length >= 1);
			await assert_literal(".report-wrapper .dt-scrollable", HOSTILE_SENDER);
			await shot("10-hostile-report.png");
		});

		it("is text in the print view", async () => {
			await page.goto(
				`${BASE_URL}/printview?doctype=SMS%20Log&name=${hostile_log}&format=Standard`
			);
			await page.waitForSelector(".print-format");
			await assert_literal(".print-format", HOSTILE_MESSAGE);
			await assert_literal(".print-format", HOSTILE_NUMBER);
			await assert_literal(".print-format", HOSTILE_SENDER);
			await shot("11-hostile-print.png");

			await open(page, `/app/print/SMS Log/${hostile_log}`);
			await page.waitForSelector(".print-preview-wrapper iframe, .print-format-container");
			await page.waitForTimeout(1500);
			assert.equal(await xss_fired(page), false, "no script ran in the Desk print preview");
			await shot("12-hostile-print-preview.png");
		});

		it("is text in Report Builder, its columns and its group-by sidebar with counts", async () => {
			await page.evaluate(() =>
				frappe.model.user_settings.save("SMS Log", "group_by_fields", ["sender_name"])
			);
			try {
				await open(
					page,
					"/app/sms-log/view/report?title=" + encodeURIComponent(HOSTILE_TITLE)
				);
				await page.waitForFunction(
					() =>
						window.cur_list?.view_name === "Report" &&
						cur_list.data?.length === 1 &&
						document.querySelectorAll(".dt-scrollable .dt-row").length === 1
				);
				await page.evaluate(() => {
					if (!cur_list.columns.some((c) => c.docfield?.fieldname === "sender_name")) {
						cur_list.add_column_to_datatable("sender_name", "SMS Log");
					}
				});
				await page.locator(".dt-scrollable", { hasText: HOSTILE_SENDER }).waitFor();
				await assert_literal(".dt-scrollable", HOSTILE_SENDER);
				await assert_literal(".dt-scrollable", HOSTILE_MESSAGE);
				await assert_literal(".dt-scrollable", HOSTILE_NUMBER);
				await page.click(".group-by-field a[data-fieldname=sender_name]");
				const item = page.locator(".group-by-dropdown .group-by-item", {
					hasText: "Mallory",
				});
				await item.first().waitFor();
				await assert_literal(
					".group-by-field:has(a[data-fieldname=sender_name]) .group-by-dropdown",
					HOSTILE_SENDER
				);
				assert.match(await item.first().locator(".group-by-count").innerText(), /^\d+$/);
				await shot("23-hostile-report-builder.png");
				await page.keyboard.press("Escape");
			} finally {
				await page.evaluate(() =>
					frappe.model.user_settings.save("SMS Log", "group_by_fields", null)
				);
			}
		});

		it("is text in SMS Log Daily Total's list, report and form", async () => {
			const filter = "?sender_name=" + encodeURIComponent("%Mallory%");
			await open(page, "/app/sms-log-daily-total" + filter);
			await page.waitForFunction(
				() =>
					window.cur_list?.doctype === "SMS Log Daily Total" &&
					cur_list.data?.length >= 1 &&
					$(".list-row-container .list-row").length >= 1
			);
			await assert_literal(".list-row-container", HOSTILE_SENDER);
			const [total] = await page.evaluate(() => cur_list.data.map((d) => d.name));
			await shot("24-hostile-daily-total-list.png");

			await open(page, "/app/sms-log-daily-total/view/report" + filter);
			await page.waitForFunction(
				() =>
					window.cur_list?.view_name === "Report" &&
					document.querySelectorAll(".dt-scrollable .dt-row").length >= 1
			);
			await assert_literal(".dt-scrollable", HOSTILE_SENDER);

			await open(page, `/app/sms-log-daily-total/${total}`);
			await page.waitForFunction(() => window.cur_frm?.doc?.doctype === "SMS Log Daily Total");
			await assert_literal(".form-layout", HOSTILE_SENDER);
			assert.equal(await page.locator(".page-actions .primary-action:visible").count(), 0);
			await shot("25-hostile-daily-total-form.png");
		});

		it("is text in SMS Send Refusal's list, report and form", async () => {
			await open(page, "/app/sms-send-refusal?user=" + encodeURIComponent(PLAIN_USER));
			await page.waitForFunction(
				() =>
					window.cur_list?.doctype === "SMS Send Refusal" &&
					cur_list.data?.length >= 1 &&
					$(".list-row-container .list-row").length >= 1
			);
			const [refusal] = await page.evaluate(() => cur_list.data.map((d) => d.name));
			assert.equal(await xss_fired(page), false, "no script ran");

			await open(page, "/app/sms-send-refusal/view/report?name=" + refusal);
			await page.waitForFunction(
				() =>
					window.cur_list?.view_name === "Report" &&
					document.querySelectorAll(".dt-scrollable .dt-row").length === 1
			);
			await page.evaluate(() => {
				if (!cur_list.columns.some((c) => c.docfield?.fieldname === "ip_address")) {
					cur_list.add_column_to_datatable("ip_address", "SMS Send Refusal");
				}
			});
			await page.locator(".dt-scrollable", { hasText: HOSTILE_ADDRESS }).waitFor();
			await assert_literal(".dt-scrollable", HOSTILE_ADDRESS);

			await open(page, `/app/sms-send-refusal/${refusal}`);
			await page.waitForFunction(() => window.cur_frm?.doc?.doctype === "SMS Send Refusal");
			await assert_literal(".form-layout", HOSTILE_ADDRESS);
			await shot("26-hostile-refusal-form.png");

			await page.goto(
				`${BASE_URL}/printview?doctype=SMS%20Send%20Refusal&name=${refusal}&format=Standard`
			);
			await page.waitForSelector(".print-format");
			// Frappe's print leaves out a value that is nothing but markup (printview.has_value)
			assert.equal(await xss_fired(page), false, "no script ran in the print view");
			assert.match(await page.locator(".print-format").innerText(), /Plain User/);
		});

		it("is text in SMS Delivery Report's list and form, the report kept as it came", async () => {
			await open(
				page,
				"/app/sms-delivery-report?message_id=" + encodeURIComponent(HOSTILE_REPORT_ID)
			);
			await page.waitForFunction(
				() =>
					window.cur_list?.doctype === "SMS Delivery Report" &&
					cur_list.data?.length === 1 &&
					$(".list-row-container .list-row").length === 1
			);
			await assert_literal(".list-row-container", HOSTILE_REPORT_ID);
			const [report] = await page.evaluate(() => cur_list.data.map((d) => d.name));

			await open(page, `/app/sms-delivery-report/${report}`);
			await page.waitForFunction(
				() => window.cur_frm?.doc?.doctype === "SMS Delivery Report"
			);
			await assert_literal(".form-layout [data-fieldname=message_id]", HOSTILE_REPORT_ID);
			await assert_literal(".form-layout [data-fieldname=number]", HOSTILE_NUMBER);
			// the whole call as it came, JSON shown as text
			await assert_literal(".form-layout [data-fieldname=payload]", HOSTILE_REPORT_ID);
			assert.match(await page.locator(".form-layout").innerText(), /Unmatched/);
			assert.equal(await page.locator(".page-actions .primary-action:visible").count(), 0);
			await shot("27-hostile-delivery-report-form.png");
		});

		it("is text on a Kanban board", async () => {
			await open(
				page,
				`/app/sms-log/view/kanban/${encodeURIComponent(KANBAN_BOARD)}?title=` +
					encodeURIComponent(HOSTILE_TITLE)
			);
			const card = page.locator(".kanban-card-wrapper", { hasText: HOSTILE_TITLE });
			await card.first().waitFor();
			await page.waitForTimeout(1000);
			await assert_literal(".kanban", HOSTILE_TITLE);
			const title = card.first().locator(".kanban-card-title");
			assert.equal((await title.innerText()).trim(), HOSTILE_TITLE);
			assert.equal(await title.getAttribute("title"), HOSTILE_TITLE);
			assert.equal(await page.locator(".kanban img").count(), 0);
			await shot("29-hostile-kanban.png");
		});

		it("is text in a calendar view", async () => {
			await open(
				page,
				`/app/sms-log/view/calendar/${encodeURIComponent(CALENDAR_VIEW)}?title=` +
					encodeURIComponent(HOSTILE_TITLE)
			);
			const event = page.locator(".fc-event", { hasText: HOSTILE_TITLE });
			await event.first().waitFor();
			await page.waitForTimeout(1000);
			assert.equal(await xss_fired(page), false, "no script ran");
			assert.equal(await page.locator(".fc-event img").count(), 0);
			await shot("30-hostile-calendar.png");
		});

		it("is text in a link field's suggestions", async () => {
			await open(page, "/app/sms-logs");
			await page.evaluate(() => {
				window.__sms_log_link_dialog = new frappe.ui.Dialog({
					title: "SMS Log",
					fields: [{ fieldtype: "Link", options: "SMS Log", fieldname: "log", label: "Log" }],
				});
				window.__sms_log_link_dialog.show();
			});
			const input = page.locator(".modal.show input[data-fieldname=log]");
			await input.waitFor();
			await input.click();
			// as a user types: the control searches once typing pauses
			await input.pressSequentially(HOSTILE_TITLE, { delay: 100 });
			const suggestion = page.locator(".modal.show .awesomplete [role=option]", {
				hasText: HOSTILE_TITLE,
			});
			await suggestion.first().waitFor();
			await page.waitForTimeout(1000);
			await assert_literal(".modal.show .awesomplete ul", HOSTILE_TITLE);
			assert.equal(await page.locator(".modal.show .awesomplete img").count(), 0);
			await shot("31-hostile-link-suggestions.png");
			await page.evaluate(() => window.__sms_log_link_dialog.hide());
		});

		it("is text in the awesome bar and on the workspace", async () => {
			await open(page, "/app/sms-logs");
			await page.waitForFunction(
				() => document.querySelectorAll(".number-widget-box .number").length === 4
			);
			await page.fill("#navbar-search", "Mallory");
			await page.locator(".awesomplete ul li").first().waitFor();
			await page.waitForTimeout(1000);
			assert.equal(await xss_fired(page), false, "no script ran");
			await shot("27-hostile-awesome-bar.png");
			await page.keyboard.press("Escape");
		});

		it("is text in the message a send shows", async () => {
			// as Desk sends (ERPNext's Send SMS): a number that carries HTML is refused, and said so
			await open(page, "/app/sms-logs");
			await page.evaluate(
				(number) =>
					frappe.call({
						method: "frappe.core.doctype.sms_settings.sms_settings.send_sms",
						args: {
							receiver_list: [number, "+966500000002"],
							msg: "Browser test: one number carries HTML",
						},
					}),
				HOSTILE_NUMBER
			);
			await page.locator(".modal.show .msgprint").waitFor();
			// as Frappe cleaned it: without its spaces
			await assert_literal(".modal.show .msgprint", HOSTILE_NUMBER.replace(/\s/g, ""));
			await shot("28-hostile-send-message.png");
			await page.keyboard.press("Escape");
		});
	});

	describe("A log stopped for an empty balance", () => {
		const open_stopped_log = async () => {
			const [name] = await page.evaluate(
				(sender) =>
					frappe.db.get_list("SMS Log", {
						filters: { sender_name: sender },
						pluck: "name",
					}),
				BALANCE_SENDER
			);
			assert.ok(name, "the seed has a log stopped for balance");
			await open(page, `/app/sms-log/${encodeURIComponent(name)}`);
			await page.waitForSelector(".form-layout [data-fieldname=recipients] .grid-row");
			assert.equal(await xss_fired(page), false, "no script ran");
			return page.locator(".form-layout [data-fieldname=recipients]").innerText();
		};

		it("shows each recipient's reason, in English", async () => {
			const rows = await open_stopped_log();
			assert.match(rows, /Balance exhausted: top up the SMS provider account/);
			assert.match(rows, /Msegat 1060/);
			assert.match(
				await page.locator(".page-head .indicator-pill:visible").first().innerText(),
				/Failed/
			);
			await shot("31-log-stopped-for-balance.png");
		});

		it("shows it right to left in Arabic", async () => {
			await set_language(page, MANAGER, "ar");
			try {
				const rows = await open_stopped_log();
				assert.equal(await page.getAttribute("html", "dir"), "rtl");
				assert.match(rows, /Msegat 1060/);
				assert.match(
					await page.locator(".page-head .indicator-pill:visible").first().innerText(),
					/فاشلة/
				);
				await shot("32-log-stopped-for-balance-arabic.png");
			} finally {
				await set_language(page, MANAGER, "en");
			}
		});
	});

	it("shows a Scheduled log with Cancel Send, and cancels it", async () => {
		const [name] = await page.evaluate(
			(sender) =>
				frappe.db.get_list("SMS Log", {
					filters: { sender_name: sender, status: "Scheduled" },
					pluck: "name",
				}),
			SCHEDULED_SENDER
		);
		assert.ok(name, "the seed has a Scheduled log");
		await open(page, `/app/sms-log/${encodeURIComponent(name)}`);
		await page.waitForFunction((name) => cur_frm?.doc?.name === name, name);
		assert.match(await page.locator(".form-message").innerText(), /Scheduled for /);
		assert.match(
			await page.locator(".page-head .indicator-pill:visible").first().innerText(),
			/Scheduled/
		);
		assert.ok(
			(await page.locator(".form-layout").innerText()).includes(SCHEDULED_MESSAGE),
			"the message is shown as text"
		);
		const cancel = page.locator(".page-actions button", { hasText: "Cancel Send" });
		await cancel.waitFor();
		await shot("33-scheduled-log.png");

		await cancel.click();
		await page.locator(".modal.show .btn-modal-primary").click();
		await page.waitForFunction(() => cur_frm?.doc?.status === "Cancelled");
		await page.waitForFunction(() =>
			/cancelled by/.test(document.querySelector(".form-message")?.innerText || "")
		);
		assert.equal(await page.locator(".page-actions button", { hasText: "Cancel Send" }).count(), 0);
		const rows = await page.locator(".form-layout [data-fieldname=recipients]").innerText();
		assert.match(rows, /Cancelled/);
		assert.equal(await xss_fired(page), false, "no script ran");
		await shot("34-scheduled-log-cancelled.png");
	});

	describe("SMS Settings with a provider chosen", () => {
		// chosen and shown, never saved: the form is read again from the server afterwards
		const choose_msegat = async (label) => {
			await open(page, "/app/sms-settings");
			await page.waitForFunction(() => window.cur_frm?.doc?.doctype === "SMS Settings");
			const field = page.locator(".frappe-control[data-fieldname=sms_provider]");
			assert.match(await field.locator(".control-label").innerText(), label);
			await field.locator("select").selectOption("Msegat");
			await page.waitForFunction(
				() => cur_frm.doc.sms_gateway_url === "https://www.msegat.com/gw/sendsms.php"
			);
			const filled = await page.evaluate(() => ({
				message: cur_frm.doc.message_parameter,
				receiver: cur_frm.doc.receiver_parameter,
				parameters: cur_frm.doc.parameters.map((p) => p.parameter),
			}));
			assert.deepEqual([filled.message, filled.receiver], ["msg", "numbers"]);
			const expected = ["userName", "apiKey", "userSender", "msgEncoding", "Content-Type"];
			for (const name of expected) {
				assert.ok(filled.parameters.includes(name), `${name} is among the parameters`);
			}
			await page
				.locator(".frappe-control[data-fieldname=parameters] .grid-row")
				.first()
				.waitFor();
			assert.equal(await xss_fired(page), false, "no script ran");
		};
		const discard = () =>
			page.evaluate(async () => {
				await cur_frm.reload_doc();
				return cur_frm.is_dirty();
			});

		it("fills the provider's URL, parameters and headers, in English", async () => {
			await choose_msegat(/SMS Provider/);
			await shot("29-sms-settings-provider.png");
			assert.equal(await discard(), false);
		});

		it("fills them the same way in Arabic, right to left", async () => {
			await set_language(page, MANAGER, "ar");
			try {
				await choose_msegat(/مزوّد الرسائل النصية/);
				assert.equal(await page.getAttribute("html", "dir"), "rtl");
				await shot("30-sms-settings-provider-arabic.png");
				assert.equal(await discard(), false);
			} finally {
				await set_language(page, MANAGER, "en");
			}
		});

		it("says so when the saved provider has no balance endpoint (the stub is Custom)", async () => {
			await open(page, "/app/sms-settings");
			await page.waitForFunction(() => window.cur_frm?.doc?.doctype === "SMS Settings");
			await page.getByRole("button", { name: "Check Balance" }).click();
			const message = page.locator(".modal.show .msgprint", {
				hasText: "has no balance endpoint",
			});
			await message.waitFor();
			await shot("33-sms-settings-check-balance.png");
			await page.keyboard.press("Escape");
			assert.equal(await xss_fired(page), false, "no script ran");
		});
	});

	describe("in Arabic", () => {
		before(() => set_language(page, MANAGER, "ar"));

		it("shows the list right to left, translated", async () => {
			await open_list(page);
			assert.equal(await page.getAttribute("html", "dir"), "rtl");
			assert.match(await page.locator(".page-title").innerText(), /سجل الرسائل النصية/);
			const headers = await page.locator(".list-row-head").innerText();
			assert.match(headers, /المرسل/);
			// the header is drawn before the rows: wait for a translated status, and fail if none comes
			await page.locator(".list-row .indicator-pill", { hasText: "مُرسلة" }).first().waitFor();
			const pills = await page.locator(".list-row .indicator-pill").allInnerTexts();
			assert.ok(
				pills.some((p) => p.trim() === "مُرسلة"),
				"statuses are translated"
			);
			assert.ok(
				await page
					.locator(".sms-log-phone-search input[placeholder='رقم الهاتف']")
					.isVisible()
			);
			await shot("13-arabic-list.png");
		});

		it("shows a log right to left, translated", async () => {
			await page.locator(".list-row-container .list-row .list-subject a").nth(1).click();
			await page.waitForSelector(".form-layout [data-fieldname=recipients] .grid-row");
			const form = await page.locator(".form-layout").innerText();
			for (const label of ["الحالة", "وقت الإرسال", "الرسالة", "المستلمون"]) {
				assert.match(form, new RegExp(label));
			}
			assert.match(await page.locator(".form-message").innerText(), /قبلت البوابة/);
			await shot("14-arabic-form.png");
		});

		it("shows the report and the workspace translated", async () => {
			await open(page, "/app/query-report/SMS Delivery Summary");
			await page.waitForSelector(".dt-row-0");
			// the header's labels are drawn after the first row; wait for them, and fail if they never come
			await page.locator(".dt-header", { hasText: "اسم المرسل" }).first().waitFor();
			await wait_for_bars(page, ".chart-wrapper");
			await shot("15-arabic-report.png");

			await open(page, "/app/sms-logs");
			await page.waitForFunction(
				() => document.querySelectorAll(".number-widget-box .number").length === 4
			);
			const titles = (await page.locator(".number-widget-box").allInnerTexts()).join(" ");
			assert.match(titles, /الرسائل المُرسلة اليوم/);
			assert.match(titles, /رصيد مزوّد الرسائل/);
			await wait_for_bars(page, ".widget.dashboard-widget-box");
			await shot("16-arabic-workspace.png");
		});

		after(() => set_language(page, MANAGER, "en"));
	});

	describe("SMS on form timelines", () => {
		const entries = () => page.locator(".timeline-content .sms-log-timeline-entry");
		const name_of = (doctype, filters) =>
			xcall(page, "frappe.client.get_value", { doctype, filters, fieldname: "name" }).then(
				(value) => value.name
			);

		it("shows a contact the SMS sent to its mobile, typed in local format", async () => {
			const contact = await name_of("Contact", { first_name: TIMELINE_CONTACT });
			await open(page, `/app/contact/${encodeURIComponent(contact)}`);
			await entries().first().waitFor();
			assert.equal(await entries().count(), 20, "the newest 20");
			const newest = await entries().first().innerText();
			assert.ok(newest.includes(HOSTILE_MESSAGE), "the message is shown as text");
			assert.ok(newest.includes(HOSTILE_SENDER), "the sender is shown as text");
			assert.ok(newest.includes(SEARCHED_E164), "the number it went to");
			assert.match(newest, /Sent/);
			assert.equal(await page.locator(".sms-log-timeline-entry img").count(), 0);
			assert.equal(await xss_fired(page), false, "no script ran");
			const more = page.locator(".sms-log-timeline-more a");
			assert.equal(
				await more.getAttribute("href"),
				`/app/sms-log?normalized_number=${encodeURIComponent(SEARCHED_E164)}`
			);
			await entries().first().scrollIntoViewIfNeeded();
			await shot("18-timeline-contact.png");

			await more.click();
			await page.waitForFunction(
				(e164) =>
					window.cur_list?.doctype === "SMS Log" &&
					cur_list.filter_area?.filter_list &&
					cur_list.filter_area
						.get()
						.some((f) => f[1] === "normalized_number" && f[3] === e164),
				SEARCHED_E164
			);
			await shot("19-timeline-view-all.png");
		});

		it("shows a document the SMS sent for it", async () => {
			const todo = await name_of("ToDo", { description: TIMELINE_TODO });
			await open(page, `/app/todo/${todo}`);
			await entries().first().waitFor();
			assert.equal(await entries().count(), 1);
			const entry = await entries().first().innerText();
			assert.ok(entry.includes(HOSTILE_MESSAGE), "the message is shown as text");
			assert.match(entry, /2 recipients/);
			assert.equal(await xss_fired(page), false, "no script ran");
			await entries().first().scrollIntoViewIfNeeded();
			await shot("20-timeline-document.png");
		});

		it("shows them right to left in Arabic", async () => {
			await set_language(page, MANAGER, "ar");
			try {
				const contact = await name_of("Contact", { first_name: TIMELINE_CONTACT });
				await open(page, `/app/contact/${encodeURIComponent(contact)}`);
				await entries().first().waitFor();
				assert.equal(await page.getAttribute("html", "dir"), "rtl");
				assert.match(await entries().first().innerText(), /رسالة نصية من/);
				await entries().first().scrollIntoViewIfNeeded();
				await shot("21-timeline-contact-arabic.png");
			} finally {
				await set_language(page, MANAGER, "en");
			}
		});
	});

	it("refuses SMS Logs to a plain Desk user", async () => {
		const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
		const plain = await new_page(context);
		try {
			await login(plain, PLAIN_USER);
			await open(plain, "/app/sms-log");
			// Desk offers no SMS Log page to a user who may not read it
			await plain.waitForFunction(() =>
				/Page sms-log not found|not permitted/i.test(document.body.innerText)
			);
			assert.match(
				await plain.locator("body").innerText(),
				/Page sms-log not found|Not Permitted|Insufficient Permission/i
			);
			assert.equal(await plain.locator(".list-row-container .list-row").count(), 0);
			const api = await plain.evaluate(() =>
				fetch("/api/resource/SMS Log", { headers: { Accept: "application/json" } }).then(
					(r) => r.status
				)
			);
			assert.equal(api, 403);
			await plain.screenshot({ path: join(ARTIFACTS, "17-plain-user-refused.png") });

			// SMS are sent for this user's own User document, which they may open: no trace of them
			await open(plain, `/app/user/${PLAIN_USER}`);
			await plain.waitForFunction(
				() => document.querySelectorAll(".timeline-item[data-timestamp]").length > 0
			);
			assert.equal(await plain.locator(".sms-log-timeline-entry").count(), 0);
			const docinfo = await plain.evaluate(
				(user) =>
					fetch(
						`/api/method/frappe.desk.form.load.getdoc?doctype=User&name=${encodeURIComponent(
							user
						)}`,
						{ headers: { Accept: "application/json" } }
					).then((r) => r.text()),
				PLAIN_USER
			);
			assert.doesNotMatch(docinfo, /sms-log-timeline|SMS-\d{4}/);
			await plain.screenshot({ path: join(ARTIFACTS, "22-plain-user-timeline.png") });
		} finally {
			await context.close();
		}
	});
});
