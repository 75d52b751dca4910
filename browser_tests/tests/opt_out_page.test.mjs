// The public opt-out page of an SMS's link, on either kind of site: in Arabic, one click records the
// opt-out, and what a visitor puts in the address stays text. SMS_LOG_OPT_OUT_PATH is a genuine link
// (.ci/browser asks the site for it: sms_log_app.tests.seed_logs.opt_out_page_path).
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

import { ARTIFACTS, BASE_URL, launch, new_page, xss_fired } from "./helpers.mjs";

const LINK = process.env.SMS_LOG_OPT_OUT_PATH;
const HOSTILE = '"><img src=x onerror=window.__xss=7>';

mkdirSync(ARTIFACTS, { recursive: true });

describe("The opt-out page", { concurrency: 1 }, () => {
	let browser, page;
	const shot = (name) => page.screenshot({ path: join(ARTIFACTS, name), fullPage: false });

	before(async () => {
		assert.ok(LINK, "SMS_LOG_OPT_OUT_PATH: .ci/browser sets it");
		browser = await launch();
		// a visitor without a session, as the SMS's recipient opens the link
		page = await new_page(await browser.newContext(), { viewport: { width: 480, height: 800 } });
	});

	after(async () => {
		await browser?.close();
	});

	it("keeps a forged link's text as text and offers no button", async () => {
		const forged = `/sms-opt-out?n=${encodeURIComponent(HOSTILE)}&t=${encodeURIComponent(HOSTILE)}&lang=ar`;
		await page.goto(BASE_URL + forged);
		await page.waitForSelector("#opt-out-invalid");
		assert.equal(await page.locator("#opt-out-button").count(), 0);
		assert.equal(await page.locator("img").count(), 0);
		assert.equal(await xss_fired(page), false);
	});

	it("shows the page in Arabic and records the opt-out in one click", async () => {
		await page.goto(`${BASE_URL}${LINK}&lang=ar&x=${encodeURIComponent(HOSTILE)}`);
		assert.equal(await page.getAttribute("html", "dir"), "rtl");
		const button = page.locator("#opt-out-button");
		assert.equal((await button.innerText()).trim(), "إيقاف الرسائل النصية الترويجية");
		assert.match(await page.locator("main").innerText(), /•/, "the number is shown masked");
		await shot("opt-out-page-ar.png");
		await button.click();
		await page.waitForSelector("#opt-out-done");
		assert.match(await page.locator("#opt-out-done").innerText(), /تم/);
		assert.equal(await page.getAttribute("html", "dir"), "rtl");
		await shot("opt-out-page-ar-done.png");
		assert.equal(await xss_fired(page), false);
	});

	it("switches to English", async () => {
		await page.click("nav a");
		await page.waitForSelector("#opt-out-done");
		assert.equal(await page.getAttribute("html", "dir"), "ltr");
		assert.match(await page.locator("#opt-out-done").innerText(), /no more promotional SMS/);
	});
});
