"""A fake of Alibaba Cloud's SMS API (Dysmsapi 2017-05-25, SendSms) on 127.0.0.1, for tests at the HTTP boundary.

It checks every request as Alibaba documents its V3 signature ("Request syntax and signature method V3",
https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature), written here from
that description and not with the SDK's signer: the canonical request (method, path, sorted RFC 3986 query, the
signed headers lowercased and trimmed, their names, the body's SHA-256) is hashed, and its HMAC-SHA256 under the
key's secret must be the request's ``Signature``. Then it checks the action and its parameters, answers as Aliyun
does (JSON with Code, Message, BizId, RequestId) and keeps what it accepted.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

ALGORITHM = "ACS3-HMAC-SHA256"
MUST_SIGN = {"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"}
AUTHORIZATION = re.compile(rf"^{ALGORITHM} Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{{64}})$")
CLOCK_SKEW = dt.timedelta(minutes=15)
MAINLAND_MOBILE = re.compile(r"^1\d{10}$")


@dataclass
class Refusal(Exception):
    """An answer other than OK, as Aliyun gives it: an HTTP status (400 for a bad signature) and a code."""

    status: int
    code: str
    message: str


@dataclass
class FakeAliyunSms:
    """The gateway's state: its access keys, the texts it accepted, and codes to answer next instead of OK."""

    keys: dict[str, str]
    sent: list[dict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    next_codes: list[str] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    url: str = ""

    def answer(self, method: str, target: str, headers, body: bytes) -> tuple[int, dict]:
        try:
            self.check_signature(method, target, headers, body)
            parameters = self.send_sms(headers, dict(parse_qsl(urlsplit(target).query, keep_blank_values=True)))
        except Refusal as refusal:
            self.refused.append(refusal.code)
            return refusal.status, {"RequestId": str(uuid.uuid4()), "Code": refusal.code, "Message": refusal.message}
        biz_id = f"{len(self.sent) + 900619}^0"
        self.sent.append({**parameters, "BizId": biz_id})
        return 200, {"RequestId": str(uuid.uuid4()), "Code": "OK", "Message": "OK", "BizId": biz_id}

    def check_signature(self, method: str, target: str, headers, body: bytes) -> None:
        found = AUTHORIZATION.match(headers.get("Authorization", ""))
        if not found:
            raise Refusal(400, "IncompleteSignature", f"The request signature does not conform to {ALGORITHM}.")
        key_id, signed_names, signature = found.groups()
        if key_id not in self.keys:
            raise Refusal(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        names = signed_names.split(";")
        if names != sorted(set(names)) or not MUST_SIGN <= set(names) or any(headers.get(n) is None for n in names):
            raise Refusal(400, "IncompleteSignature", "The request signature does not sign the headers it must.")
        if headers["x-acs-content-sha256"] != hashlib.sha256(body).hexdigest():
            raise Refusal(400, "IncompleteSignature", "x-acs-content-sha256 is not the hash of the body.")
        sent_at = dt.datetime.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        if abs(dt.datetime.now(dt.UTC) - sent_at) > CLOCK_SKEW:
            raise Refusal(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        expected = sign(self.keys[key_id], canonical_request(method, target, headers, names, body))
        if not hmac.compare_digest(expected, signature):
            raise Refusal(400, "SignatureDoesNotMatch", "Specified signature does not match our calculation.")
        if headers["x-acs-signature-nonce"] in self.nonces:
            raise Refusal(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        self.nonces.add(headers["x-acs-signature-nonce"])

    def send_sms(self, headers, parameters: dict) -> dict:
        """SendSms's own checks, after the signature; a code queued in ``next_codes`` answers instead of OK."""
        if (headers["x-acs-action"], headers["x-acs-version"]) != ("SendSms", "2017-05-25"):
            raise Refusal(400, "InvalidAction.NotFound", "Specified api is not found, please check your url.")
        missing = [name for name in ("PhoneNumbers", "SignName", "TemplateCode") if not parameters.get(name)]
        if missing:
            raise Refusal(400, "MissingParameter", f"{missing[0]} is mandatory for this action.")
        if not MAINLAND_MOBILE.match(parameters["PhoneNumbers"]):
            raise Refusal(200, "isv.MOBILE_NUMBER_ILLEGAL", "invalid mobile number")
        if "TemplateParam" in parameters:
            values = json.loads(parameters["TemplateParam"])
            if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
                raise Refusal(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
            parameters = {**parameters, "TemplateParam": values}
        if self.next_codes:
            code = self.next_codes.pop(0)
            raise Refusal(200, code, "触发分钟级流控Permits:1" if code == "isv.BUSINESS_LIMIT_CONTROL" else code)
        return parameters


def canonical_request(method: str, target: str, headers, signed_names: list[str], body: bytes) -> str:
    """The documented CanonicalRequest: method, path, query, signed headers, their names, the body's hash."""
    split = urlsplit(target)
    query = sorted(parse_qsl(split.query, keep_blank_values=True))
    canonical_query = "&".join(f"{percent(name)}={percent(value)}" for name, value in query)
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed_names)
    return "\n".join([method, split.path or "/", canonical_query, canonical_headers, ";".join(signed_names),
                      hashlib.sha256(body).hexdigest()])


def percent(text: str) -> str:
    """RFC 3986 encoding of UTF-8: only letters, digits and - _ . ~ stay as they are (a space is %20)."""
    return quote(text, safe="-_.~", encoding="utf-8")


def sign(secret: str, canonical: str) -> str:
    string_to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    return hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def serve(gateway: FakeAliyunSms) -> ThreadingHTTPServer:
    """Serve ``gateway`` on a free port of 127.0.0.1 from a thread; its ``url`` is set. Stop with ``shutdown()``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, answer = gateway.answer(self.command, self.path, self.headers, body)
            payload = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}"
    return server
