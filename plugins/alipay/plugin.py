"""Hook implementations of the Alipay plugin."""
from core import hookimpl
from plugins.alipay.provider import AlipayProvider
from plugins.alipay.views import pages


@hookimpl
def register_payment_providers():
    return [AlipayProvider()]


@hookimpl
def register_blueprints():
    return [pages]
