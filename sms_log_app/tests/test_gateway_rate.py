"""The site-wide rate on a real Redis: requests whose threads wake long after their slots (a loaded
machine) never put more than the rate into any second."""

import threading
import time
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase

from sms_log_app import gateway_rate
from sms_log_app.gateway_rate import SiteRate

LATE = 0.5  # seconds the first few sleeping threads wake after their slot


class TestSiteRate(FrappeTestCase):
	def test_threads_waking_late_never_exceed_the_rate_in_any_second(self):
		rate = SiteRate(20)
		frappe.cache.delete(rate.key, rate.window)
		self.addCleanup(frappe.cache.delete, rate.key, rate.window)
		sleep, late = time.sleep, iter([LATE] * 5)

		def oversleep(seconds):
			sleep(seconds + next(late, 0))

		went, lock = [], threading.Lock()

		def request():
			rate.wait()
			with lock:
				went.append(time.monotonic())

		with patch.object(gateway_rate.time, "sleep", oversleep):
			threads = [threading.Thread(target=request) for _ in range(40)]
			for thread in threads:
				thread.start()
			for thread in threads:
				thread.join()

		self.assertEqual(len(went), 40)
		busiest_second = max(sum(start <= t < start + 1 for t in went) for start in went)
		self.assertLessEqual(busiest_second, 20)
