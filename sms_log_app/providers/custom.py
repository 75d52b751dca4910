"""Custom: any gateway SMS Settings describe, as Frappe sends to it, one number per request.

Whether the gateway took the number is the administrator's rule in SMS Log Settings: any 2xx (the
default, as Frappe has it), or a 2xx whose JSON answer holds one of the accepted values at a path, or
a 2xx whose answer matches a regular expression.

Custom has no balance: a gateway SMS Settings describe says nothing of where its balance is.
"""

import re
from dataclasses import dataclass

from sms_log_app.delivery import JSON_PATH, REGULAR_EXPRESSION, extract_message_id
from sms_log_app.providers.base import Answer, Defaults, Provider, Verdict, every, http_refusal

ANY_2XX = "Any 2xx"
NOT_MATCHED = "The answer does not say accepted by the rule in SMS Log Settings"
# parameter names that hold credentials in the gateways Frappe sites use
SECRET_WORDS = ("key", "token", "pass", "secret", "auth", "sid", "signature", "pwd")


@dataclass(frozen=True)
class AcceptanceRule:
	kind: str = ANY_2XX
	path: str | None = None
	accepted_values: tuple[str, ...] = ()
	pattern: str | None = None

	def code(self, text: str) -> str | None:
		"""The value the rule reads from the answer (JSON Path), or the regular expression's match."""
		source = JSON_PATH if self.kind == JSON_PATH else REGULAR_EXPRESSION
		return extract_message_id(text, source, self.path if self.kind == JSON_PATH else self.pattern)

	def accepts(self, text: str) -> bool:
		if self.kind == JSON_PATH:
			return self.code(text) in self.accepted_values
		if self.kind == REGULAR_EXPRESSION:
			return bool(self.pattern and re.search(self.pattern, text))
		return True


class Custom(Provider):
	name = "Custom"
	defaults = Defaults(url="", message_parameter="", receiver_parameter="", use_post=False, use_json=False)

	def __init__(self, rule: AcceptanceRule | None = None):
		self.rule = rule or AcceptanceRule()

	def recipients(self, numbers):
		return ",".join(numbers)  # as typed and checked: one number per request, as Frappe sends

	def read_answer(self, answer: Answer, numbers):
		if not 200 <= answer.status < 300:
			return every(numbers, http_refusal(answer, reasons_by_status={}))  # Frappe's way: no reason
		if self.rule.accepts(answer.text):
			return every(numbers, Verdict(True))
		return every(numbers, Verdict(False, self.rule.code(answer.text), NOT_MATCHED))

	def is_secret(self, parameter):
		return any(word in parameter.lower() for word in SECRET_WORDS)
