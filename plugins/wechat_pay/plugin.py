"""Hook implementations of the WeChat Pay plugin."""
from core import hookimpl
from plugins.wechat_pay.provider import WeChatPayProvider


@hookimpl
def register_payment_providers():
    return [WeChatPayProvider()]
