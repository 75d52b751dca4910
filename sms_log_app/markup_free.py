"""Text that holds no markup, however a page reads it: the title an SMS Log is shown by.

Desk draws a DocType's title as HTML in places the app does not control (Kanban cards after
`html2text`, which decodes entities; link autocompletes; quoted attributes), so escaping once is not
enough there: the title must hold nothing a browser reads as markup, before or after one decoding.
"""

import html
import re

_TAG = re.compile(r"<[^<>]*>")
# quotes would end an attribute the title is written into: the typographic ones read the same
_QUOTES = str.maketrans({'"': "”", "'": "’", "`": "’"})


def markup_free(text: str | None) -> str:
	"""`text` with its tags, entities, angle brackets and straight quotes gone: until nothing changes,
	entities are decoded and tags and stray `<`, `>` removed; quotes become typographic ones."""
	text = text or ""
	while True:
		plain = _TAG.sub("", html.unescape(text)).replace("<", "").replace(">", "")
		if plain == text:
			return plain.translate(_QUOTES).strip()
		text = plain
