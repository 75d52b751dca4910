import unittest

from sms_log_app.segments import GSM_7, UCS_2, count_segments


class TestCountSegments(unittest.TestCase):
	def test_gsm_single_and_multipart_limits(self):
		self.assertEqual(count_segments(""), (GSM_7, 1))
		self.assertEqual(count_segments("a" * 160), (GSM_7, 1))
		self.assertEqual(count_segments("a" * 161), (GSM_7, 2))
		self.assertEqual(count_segments("a" * 306), (GSM_7, 2))
		self.assertEqual(count_segments("a" * 307), (GSM_7, 3))

	def test_gsm_extension_characters_take_two_septets(self):
		self.assertEqual(count_segments("€" * 80), (GSM_7, 1))
		self.assertEqual(count_segments("€" * 81), (GSM_7, 2))

	def test_escape_pair_is_not_split_across_parts(self):
		# 152 septets then "€" (2): the pair moves to part two, leaving one septet unused.
		self.assertEqual(count_segments("a" * 152 + "€" + "a" * 152), (GSM_7, 3))

	def test_arabic_is_ucs2_with_70_and_67(self):
		self.assertEqual(count_segments("م" * 70), (UCS_2, 1))
		self.assertEqual(count_segments("م" * 71), (UCS_2, 2))
		self.assertEqual(count_segments("م" * 134), (UCS_2, 2))
		self.assertEqual(count_segments("م" * 135), (UCS_2, 3))

	def test_one_non_gsm_character_switches_the_whole_message(self):
		self.assertEqual(count_segments("Payment due ✓"), (UCS_2, 1))
		self.assertEqual(count_segments("a" * 70 + "✓"), (UCS_2, 2))

	def test_emoji_take_two_ucs2_units(self):
		self.assertEqual(count_segments("😀" * 35), (UCS_2, 1))
		self.assertEqual(count_segments("😀" * 36), (UCS_2, 2))
		# 33 emoji fill 66 units; the 34th does not fit in the remaining unit of part one
		self.assertEqual(count_segments("😀" * 33 + "a" + "😀" * 34), (UCS_2, 3))

	def test_gsm_accented_letters_stay_gsm(self):
		self.assertEqual(count_segments("Café à Zürich")[0], GSM_7)
		self.assertEqual(count_segments("ç")[0], UCS_2)  # only capital Ç is in GSM 03.38
