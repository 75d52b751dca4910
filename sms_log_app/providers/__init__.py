"""The SMS providers a site chooses from in SMS Settings (the *SMS Provider* field), each a profile in
a module of its own behind one interface (`base.Provider`): the request for a batch of numbers, and
one verdict per number read from the provider's answer. Adding a provider is one module, its stub and
its tests, and its line here."""

from sms_log_app.providers.base import Provider
from sms_log_app.providers.custom import AcceptanceRule, Custom
from sms_log_app.providers.fourjawaly import FourJawaly
from sms_log_app.providers.infobip import Infobip
from sms_log_app.providers.msegat import Msegat
from sms_log_app.providers.oursms import OurSMS
from sms_log_app.providers.taqnyat import Taqnyat
from sms_log_app.providers.twilio import Twilio
from sms_log_app.providers.unifonic import Unifonic
from sms_log_app.providers.yamamah import Yamamah

CUSTOM = Custom.name
PROFILES = {
	p.name: p for p in (Custom, Msegat, Unifonic, Taqnyat, FourJawaly, OurSMS, Yamamah, Twilio, Infobip)
}


def profile(name: str | None, rule: AcceptanceRule | None = None) -> Provider:
	"""The chosen provider's profile; Custom where none is chosen (sites from before the field).
	`rule`: how Custom (and Yamamah) tell a taken SMS."""
	cls = PROFILES.get(name or CUSTOM, Custom)
	return cls(rule) if issubclass(cls, Custom) else cls()
