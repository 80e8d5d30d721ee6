"""Alibaba Cloud SMS: the plugin's provider sends through the real SDK to a local gateway that checks signatures."""
import json
import logging
import socket

import pytest

from core.plugin_api import Sms, SmsNotSent
from plugins.aliyun_sms.provider import SmsGatewayBusy
from tests.aliyun_sms_fake import FakeAliyunSms, serve

KEY_ID, SECRET = "LTAI5tTestKeyOfHeping", "the-secret-only-the-gateway-knows"
TEMPLATES = {"booking_reminder": "SMS_480015001", "booking_confirmed": "SMS_480015002"}
REMINDER = Sms(phone="13800138000", kind="booking_reminder", text="王奶奶，明天11:30有社区午餐。",
               params={"name": "王奶奶", "time": "11:30", "place": "和平社区食堂"})


@pytest.fixture
def gateway():
    fake = FakeAliyunSms(keys={KEY_ID: SECRET})
    server = serve(fake)
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(gateway):
    return {"ALIYUN_SMS_ACCESS_KEY_ID": KEY_ID, "ALIYUN_SMS_ACCESS_KEY_SECRET": SECRET,
            "ALIYUN_SMS_SIGN_NAME": "和平社区", "ALIYUN_SMS_TEMPLATES": json.dumps(TEMPLATES),
            "ALIYUN_SMS_ENDPOINT": gateway.url}


@pytest.fixture
def aliyun(make_app, settings):
    """The provider as an app with these settings finds it among its plugins', and the app's configuration."""
    app = make_app(**settings)
    return app.extensions["linli"].plugins.sms_providers["aliyun"], app.config


def test_a_text_reaches_aliyun_with_its_number_sign_template_and_values(aliyun, gateway):
    provider, config = aliyun
    assert provider.is_configured(config)
    message_id = provider.send(REMINDER, config)
    assert gateway.refused == []
    [received] = gateway.sent
    assert message_id == received["BizId"]
    assert received["PhoneNumbers"] == "13800138000"
    assert received["SignName"] == "和平社区"
    assert received["TemplateCode"] == "SMS_480015001"
    assert received["TemplateParam"] == {"name": "王奶奶", "time": "11:30", "place": "和平社区食堂"}


def test_a_wrong_secret_is_refused_by_the_gateway_and_never_said(make_app, settings, gateway, caplog):
    wrong = "a-secret-someone-mistyped"
    app = make_app(**{**settings, "ALIYUN_SMS_ACCESS_KEY_SECRET": wrong})
    provider = app.extensions["linli"].plugins.sms_providers["aliyun"]
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SmsNotSent, match="SignatureDoesNotMatch.*check LINLI_ALIYUN_SMS_ACCESS_KEY_SECRET") as refused:
        provider.send(REMINDER, app.config)
    assert gateway.refused == ["SignatureDoesNotMatch"] and gateway.sent == []
    said = str(refused.value) + caplog.text  # even urllib3's DEBUG lines, which show the request's URL
    assert wrong not in said and SECRET not in said
    logged = [record.getMessage() for record in caplog.records if record.levelno >= logging.INFO]
    assert "13800138000" not in str(refused.value) + "".join(logged)
    assert refused.value.__cause__ is None and refused.value.__suppress_context__  # no SDK error chained to a log


def test_an_unknown_access_key_is_refused_and_not_sent_again(aliyun, gateway):
    provider, config = aliyun
    with pytest.raises(SmsNotSent, match="InvalidAccessKeyId.NotFound.*check LINLI_ALIYUN_SMS_ACCESS_KEY_ID"):
        provider.send(REMINDER, {**config, "ALIYUN_SMS_ACCESS_KEY_ID": "LTAI5tSomeoneElse"})
    assert gateway.sent == []


def test_throttling_is_an_error_worth_retrying_and_the_next_try_goes(aliyun, gateway):
    provider, config = aliyun
    gateway.next_codes.append("isv.BUSINESS_LIMIT_CONTROL")
    with pytest.raises(SmsGatewayBusy, match="isv.BUSINESS_LIMIT_CONTROL") as busy:
        provider.send(REMINDER, config)
    assert not isinstance(busy.value, SmsNotSent)
    assert gateway.sent == []
    assert provider.send(REMINDER, config) == gateway.sent[0]["BizId"]


def test_a_number_the_gateway_refuses_is_given_up_without_saying_it(aliyun, gateway):
    provider, config = aliyun
    with pytest.raises(SmsNotSent, match="isv.MOBILE_NUMBER_ILLEGAL") as refused:
        provider.send(Sms(phone="0571888", kind="booking_confirmed", text="…"), config)
    assert "0571888" not in str(refused.value)
    assert gateway.refused == ["isv.MOBILE_NUMBER_ILLEGAL"]


def test_a_kind_without_a_template_is_not_texted_and_says_why(aliyun, gateway):
    provider, config = aliyun
    with pytest.raises(SmsNotSent, match="no template for 'statement_ready'"):
        provider.send(Sms(phone="13800138000", kind="statement_ready", text="Your statement is ready."), config)
    assert gateway.sent == [] and gateway.refused == []  # nothing reached the gateway


def test_a_gateway_that_does_not_answer_is_worth_retrying(aliyun):
    provider, config = aliyun
    with socket.socket() as probe:  # a port nobody listens on any more
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with pytest.raises(SmsGatewayBusy, match=f"127.0.0.1:{closed} did not answer") as busy:
        provider.send(REMINDER, {**config, "ALIYUN_SMS_ENDPOINT": f"http://127.0.0.1:{closed}"})
    assert "13800138000" not in str(busy.value)


@pytest.mark.parametrize("unset", ["ALIYUN_SMS_ACCESS_KEY_ID", "ALIYUN_SMS_ACCESS_KEY_SECRET", "ALIYUN_SMS_SIGN_NAME",
                                   "ALIYUN_SMS_TEMPLATES"])
def test_without_its_key_secret_sign_or_templates_it_is_not_configured(aliyun, unset):
    provider, config = aliyun
    assert not provider.is_configured({**config, unset: None})
    assert not provider.is_configured({**config, "ALIYUN_SMS_TEMPLATES": "{}"})


@pytest.mark.parametrize("table", ["booking_reminder=SMS_1", '["SMS_1"]', '{"booking_reminder": 1}'])
def test_a_malformed_template_table_is_not_configured_and_says_its_fix(aliyun, gateway, caplog, table):
    provider, config = aliyun
    malformed = {**config, "ALIYUN_SMS_TEMPLATES": table}
    fix = "LINLI_ALIYUN_SMS_TEMPLATES must be a JSON object of notification kind"
    assert not provider.is_configured(malformed)
    assert fix in caplog.text
    with pytest.raises(SmsNotSent, match=fix):
        provider.send(REMINDER, malformed)
    assert gateway.sent == [] and gateway.refused == []


def test_the_fake_gateway_refuses_an_unsigned_request(gateway):
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(f"{gateway.url}/?PhoneNumbers=13800138000", method="POST"))
    assert refused.value.code == 400 and json.load(refused.value)["Code"] == "IncompleteSignature"
    assert gateway.sent == []


def test_the_plugin_is_configured_from_the_environment_and_can_be_disabled(make_app, settings, monkeypatch):
    for name, value in settings.items():
        monkeypatch.setenv(f"LINLI_{name}", value)
    app = make_app()
    provider = app.extensions["linli"].plugins.sms_providers["aliyun"]
    assert provider.is_configured(app.config)
    monkeypatch.setenv("LINLI_DISABLED_PLUGINS", "aliyun_sms")
    assert "aliyun" not in make_app().extensions["linli"].plugins.sms_providers
