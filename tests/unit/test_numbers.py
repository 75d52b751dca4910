import unittest

from sms_log_app.numbers import is_dialable, to_e164


class TestToE164(unittest.TestCase):
	def test_the_ways_a_saudi_mobile_is_typed(self):
		for typed in ("0500000001", "+966500000001", "966500000001", "00966500000001", "+966 50 000 0001"):
			with self.subTest(typed=typed):
				self.assertEqual(to_e164(typed, "sa"), "+966500000001")

	def test_international_numbers_ignore_the_region(self):
		self.assertEqual(to_e164("+442079460000", "SA"), "+442079460000")
		self.assertEqual(to_e164("+14155552671", None), "+14155552671")

	def test_national_number_without_region_is_unknown(self):
		self.assertIsNone(to_e164("0500000001", None))

	def test_not_a_number(self):
		for junk in ("", "   ", "abc", "12", "<script>"):
			with self.subTest(junk=junk):
				self.assertIsNone(to_e164(junk, "SA"))


class TestIsDialable(unittest.TestCase):
	def test_digits_with_optional_plus(self):
		self.assertTrue(is_dialable("+966500000001"))
		self.assertTrue(is_dialable("0500000001"))

	def test_junk(self):
		for junk in ("", "12", "05000abc01", "+", "05'; DROP TABLE x;--", "<b>0500</b>", "++966500000001"):
			with self.subTest(junk=junk):
				self.assertFalse(is_dialable(junk))
