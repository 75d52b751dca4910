import html
import unittest

from sms_log_app.markup_free import markup_free


class TestMarkupFree(unittest.TestCase):
	def test_plain_names_stay_as_they_are(self):
		for name in ("Noura Al-Qahtani", "Collections Desk", "عيادات الرياض", "Smith & Sons", "R&D"):
			self.assertEqual(markup_free(name), name)
		self.assertEqual(markup_free(None), "")

	def test_tags_are_stripped(self):
		self.assertEqual(markup_free("<img src=x onerror=window.__xss=4>Mallory"), "Mallory")
		self.assertEqual(markup_free("<script>alert(1)</script>Bob"), "alert(1)Bob")
		self.assertEqual(markup_free("<b>Bold</b> <i>name</i>"), "Bold name")

	def test_markup_hidden_in_entities_or_broken_tags_goes_too(self):
		for hostile in (
			"&lt;img src=x onerror=alert(1)&gt;Eve",
			"&amp;lt;img src=x onerror=alert(1)&amp;gt;Eve",
			"&#60;img src=x onerror=alert(1)&#x3e;Eve",
			"&lt<img>img src=x onerror=alert(1)&gtEve",
			"<<img>img src=x onerror=alert(1)>Eve",
			"&l<b>t;img src=x onerror=alert(1)&g<b>t;Eve",
			"<img src=x onerror=alert(1)Eve",
		):
			with self.subTest(hostile=hostile):
				title = markup_free(hostile)
				# nothing a page reads as a tag, before or after decoding its entities once or twice
				for read in (title, html.unescape(title), html.unescape(html.unescape(title))):
					self.assertNotIn("<", read)
					self.assertNotIn(">", read)
				self.assertTrue(title.endswith("Eve"))

	def test_quotes_cannot_end_an_attribute(self):
		self.assertEqual(markup_free("Mallory's"), "Mallory’s")
		title = markup_free('x" onmouseover="alert(1)')
		self.assertNotIn('"', title)
		self.assertNotIn('"', html.unescape(title))
		self.assertEqual(markup_free("&quot;&#39;`"), "”’’")
