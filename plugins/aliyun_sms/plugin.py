"""Hook implementations of the Alibaba Cloud SMS plugin."""
from core import hookimpl
from plugins.aliyun_sms.provider import AliyunSms


@hookimpl
def register_sms_providers():
    return [AliyunSms()]
