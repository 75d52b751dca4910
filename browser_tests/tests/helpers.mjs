// Shared by the browser tests: where the site and Chromium are, the seeded users, and logging in.
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

export const BASE_URL = process.env.SMS_LOG_BASE_URL || "http://127.0.0.1:8000";
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const ARTIFACTS =
	process.env.SMS_LOG_ARTIFACTS ||
	join(fileURLToPath(new URL("../..", import.meta.url)), "artifacts", "browser");

// What sms_log_app.tests.seed_logs.seed creates.
export const MANAGER = "sms.manager@example.com";
export const PLAIN_USER = "sms.plain@example.com";
export const PASSWORD = process.env.SMS_LOG_PASSWORD || "Desk-Seed-2026!";
export const SEARCHED_LOCAL = "0500000001";
export const SEARCHED_E164 = "+966500000001";
export const HOSTILE_MESSAGE = "<img src=x onerror=window.__xss=1>";
export const HOSTILE_NUMBER = "<img src=x onerror=window.__xss=3>";
export const HOSTILE_SENDER = "<img src=x onerror=window.__xss=4>Mallory";
export const HOSTILE_ADDRESS = "<img src=x onerror=window.__xss=5>";
export const HOSTILE_REPORT_ID = "<img src=x onerror=window.__xss=6>";
export const BALANCE_SENDER = "Balance Demo";
export const SCHEDULED_SENDER = "Campaign Desk";
export const SCHEDULED_MESSAGE = "<img src=x onerror=window.__xss=7>Ramadan offer: 20% off";
// the hostile log's title: its sender name without markup
export const HOSTILE_TITLE = "Mallory";
export const KANBAN_BOARD = "SMS Logs by Status";
export const CALENDAR_VIEW = "SMS Logs by Sending Time";
export const TIMELINE_CONTACT = "Huda Timeline";
export const TIMELINE_TODO = "Payment reminder, with its SMS on the timeline";

export function launch() {
	return chromium.launch({
		executablePath: CHROMIUM,
		args: [
			"--headless",
			"--no-sandbox",
			"--disable-gpu",
			"--disable-quic",
			"--no-first-run",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
		],
	});
}

// A Desk's first load on a busy two-core machine can take longer than Playwright's 30 s default; a
// wait that never ends still fails the test.
const TIMEOUT = Number(process.env.SMS_LOG_BROWSER_TIMEOUT || 90000);

export async function new_page(owner, options) {
	const page = await owner.newPage(options);
	page.setDefaultTimeout(TIMEOUT);
	page.setDefaultNavigationTimeout(TIMEOUT);
	return page;
}

export async function open(page, path) {
	await page.goto(BASE_URL + path);
	await page.waitForFunction(() => window.frappe?.boot?.user);
}

export async function login(page, user) {
	await page.goto(BASE_URL + "/login");
	await page.fill("#login_email", user);
	await page.fill("#login_password", PASSWORD);
	await page.click(".btn-login");
	await page.waitForURL(/\/app/);
	await page.waitForFunction(() => window.frappe?.boot?.user);
}

// The SMS Log list with no filter left from an earlier visit (Desk remembers the last filters).
export async function open_list(page, query = "") {
	await open(page, "/app/sms-log" + query);
	await page.waitForFunction(
		() => window.cur_list?.doctype === "SMS Log" && cur_list.filter_area
	);
	// the first load, with the filters Desk remembered, ends before they are cleared: a refresh asked
	// for while it runs is dropped, and its rows would stay
	await page.waitForFunction(
		() =>
			cur_list.data?.length > 0 &&
			$(".list-row-container .list-row").length > 0 &&
			frappe.request.ajax_count === 0
	);
	if (!query) {
		const total = await xcall(page, "frappe.client.get_count", { doctype: "SMS Log" });
		await page.evaluate(async () => {
			await cur_list.filter_area.clear(false);
			await cur_list.refresh();
		});
		// the refresh lands a moment after the call returns: wait for the unfiltered count ("20 of 301",
		// in any language)
		await page.waitForFunction(
			(total) =>
				frappe.request.ajax_count === 0 && $(".list-count").text().trim().endsWith(` ${total}`),
			total
		);
	}
}

export function xcall(page, method, args = {}) {
	return page.evaluate(([method, args]) => frappe.xcall(method, args), [method, args]);
}

export async function set_language(page, user, language) {
	// Change it while no other request is running: one that began before the change could put the
	// old language back into Frappe's document cache. Desk takes it at boot: set it again until a new
	// page boots in it.
	for (let attempt = 1; ; attempt++) {
		await open(page, "/app");
		await page.waitForLoadState("networkidle");
		if (attempt > 1 && (await page.evaluate(() => frappe.boot.lang)) === language) return;
		if (attempt > 5) throw new Error(`Desk did not boot in ${language} after 5 attempts`);
		await xcall(page, "frappe.client.set_value", {
			doctype: "User",
			name: user,
			fieldname: "language",
			value: language,
		});
	}
}

// Whether an injected handler ran in the page or in any of its frames (print previews are iframes).
export async function xss_fired(page) {
	for (const frame of page.frames()) {
		const fired = await frame.evaluate(() => window.__xss !== undefined).catch(() => false);
		if (fired) return true;
	}
	return false;
}

// Charts draw a moment after the page, and their bars grow in: wait until the chart in `scope` shows
// bars of some height that no longer change, so that a screenshot holds the finished chart.
export async function wait_for_bars(page, scope) {
	await page.waitForFunction(
		(scope) => {
			const heights = [...document.querySelectorAll(`${scope} .chart-container svg rect.bar`)].map(
				(bar) => parseFloat(bar.getAttribute("height")) || 0
			);
			const total = heights.reduce((a, b) => a + b, 0);
			const settled = total > 0 && total === window.__sms_log_bar_total;
			window.__sms_log_bar_total = total;
			return settled;
		},
		scope,
		{ polling: 300 }
	);
}

// The dates under a chart's bars that Frappe Charts drew in `scope`: every one of them whole (a day
// and a month), none cut down to "...", and enough of them to read the month by.
export async function assert_readable_dates(page, scope, assert) {
	const labels = await page.evaluate(
		(scope) =>
			[...document.querySelectorAll(`${scope} .chart-container svg .x.axis text`)].map((t) =>
				t.textContent.trim()
			),
		scope
	);
	const shown = labels.filter(Boolean);
	assert.ok(shown.length >= 8, `dates are shown under the bars (${labels.join("|")})`);
	for (const label of shown) {
		assert.match(label, /^\d{1,2} \S+$/, `"${label}" is a whole date`);
	}
}
