"""A fake of WeChat Pay's API v3 on 127.0.0.1 that keeps state and signs as WeChat Pay does, for tests at the HTTP
boundary of ``plugins/wechat_pay``.

Written from WeChat Pay's documentation with ``cryptography``, not from the library's code, so the plugin's real
signing, verification and decryption run against an independent reading: every request must carry a valid
``Authorization: WECHATPAY2-SHA256-RSA2048`` signature by the merchant's key over method, path with query,
timestamp, nonce and body (else 401 SIGN_ERROR); every answer is signed with the platform key (微信支付公钥) in
``Wechatpay-Signature`` over timestamp, nonce and body. It keeps orders (Native), refunds, profit-sharing orders and
the day's trade bill, and builds notifications as WeChat sends them: signed, their resource encrypted with
AES-256-GCM under the APIv3 key. The keys are RSA keys generated once per test session.
"""
from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import itertools
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.money import major_units

MCHID, APPID = "1900000109", "wxd678efh567hg6787"
SERIAL_NO = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"  # the merchant's API certificate
PUBLIC_KEY_ID = "PUB_KEY_ID_0119000001092026120600451100000001"
APIV3_KEY = "linliTestApiV3Key0123456789abcde"  # 32 characters, as WeChat's
FUND = "1900000110"  # the fund's merchant id, the receiver of splits
NOTIFY_URL = "https://linli.example.org/api/v1/payments/wechat_pay/notify"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
AUTHORIZATION = re.compile(r'^WECHATPAY2-SHA256-RSA2048 ((?:\w+="[^"]*",?)+)$')
TRADE_NUMBER = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")
EXPIRY = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
BILL_HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
               "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
               "手续费,费率,订单金额,申请退款金额,费率备注")
BILL_SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"


@dataclass
class Keys:
    merchant: rsa.RSAPrivateKey  # the merchant's API key (apiclient_key.pem)
    platform: rsa.RSAPrivateKey  # WeChat Pay's, whose public key the merchant downloads (pub_key.pem)
    stranger: rsa.RSAPrivateKey  # a key that is neither


@pytest.fixture(scope="session")
def wechat_keys() -> Keys:
    return Keys(*(rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)))


@dataclass
class Refusal(Exception):
    status: int
    code: str
    message: str


def now_text() -> str:
    return dt.datetime.fromtimestamp(time.time(), SHANGHAI).isoformat(timespec="seconds")


def today() -> dt.date:
    return dt.datetime.fromtimestamp(time.time(), SHANGHAI).date()


def sign(key: rsa.RSAPrivateKey, message: str) -> str:
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


@dataclass
class FakeWeChatPay:
    keys: Keys
    url: str = ""
    orders: dict[str, dict] = field(default_factory=dict)
    refunds: dict[str, dict] = field(default_factory=dict)
    splits: dict[str, dict] = field(default_factory=dict)
    requests: list[tuple[str, str, dict]] = field(default_factory=list)  # (method, path, body) it accepted
    refused: list[str] = field(default_factory=list)  # the codes it answered with instead
    failures: list[list] = field(default_factory=list)  # [method, path prefix, status, code, times left]
    answer_key: rsa.RSAPrivateKey | None = None  # signs the answers instead of the platform key
    file_change: tuple[str, str] | None = None  # (old, new) replaced in the bill's file, not in what its hash is of
    split_state: str = "FINISHED"  # how WeChat ends the next split: FINISHED, PROCESSING, or CLOSED (the receiver's)
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def settings(self, folder) -> dict:
        """The app's settings (LINLI_ without its prefix) for this merchant, its key files written in ``folder``."""
        private = folder / "apiclient_key.pem"
        private.write_bytes(self.keys.merchant.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        public = folder / "pub_key.pem"
        public.write_bytes(self.keys.platform.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        return {"WECHATPAY_MCHID": MCHID, "WECHATPAY_APPID": APPID, "WECHATPAY_APIV3_KEY": APIV3_KEY,
                "WECHATPAY_CERT_SERIAL_NO": SERIAL_NO, "WECHATPAY_PRIVATE_KEY": str(private),
                "WECHATPAY_PUBLIC_KEY": str(public), "WECHATPAY_PUBLIC_KEY_ID": PUBLIC_KEY_ID,
                "WECHATPAY_NOTIFY_URL": NOTIFY_URL, "WECHATPAY_API_BASE": self.url,
                "WECHATPAY_SHARE_RECEIVER": f"MERCHANT_ID:{FUND}"}

    def fail_next(self, method: str, path: str, status: int = 500, code: str = "SYSTEM_ERROR", times: int = 1):
        """Answer the next ``times`` requests to paths starting with ``path`` with this error."""
        self.failures.append([method, path, status, code, times])

    # --- what the server answers -------------------------------------------------------------------------------

    def answer(self, method: str, target: str, headers, body: bytes) -> tuple[int, object]:
        parts = urlsplit(target)
        try:
            self.check_signature(method, target, headers, body)
            self.check_failures(method, parts.path)
            found = json.loads(body) if body else {}
            with self.lock:
                result = self.route(method, parts.path, dict(parse_qsl(parts.query)), found)
            self.requests.append((method, parts.path, found))
            return result
        except Refusal as refusal:
            self.refused.append(refusal.code)
            return refusal.status, {"code": refusal.code, "message": refusal.message}

    def check_signature(self, method: str, target: str, headers, body: bytes) -> None:
        found = AUTHORIZATION.match(headers.get("Authorization", ""))
        said = dict(re.findall(r'(\w+)="([^"]*)"', found.group(1))) if found else {}
        if said.get("mchid") != MCHID or said.get("serial_no") != SERIAL_NO or not said.get("nonce_str"):
            raise Refusal(401, "SIGN_ERROR", "商户号或证书序列号错误")
        if not said.get("timestamp", "").isdigit() or abs(time.time() - int(said["timestamp"])) > 300:
            raise Refusal(401, "SIGN_ERROR", "请求时间戳过期")
        message = f"{method}\n{target}\n{said['timestamp']}\n{said['nonce_str']}\n{body.decode()}\n"
        try:
            self.keys.merchant.public_key().verify(base64.b64decode(said.get("signature", "")), message.encode(),
                                                   padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            raise Refusal(401, "SIGN_ERROR", "签名错误") from None

    def check_failures(self, method: str, path: str) -> None:
        for failure in self.failures:
            if failure[0] == method and path.startswith(failure[1]) and failure[4] > 0:
                failure[4] -= 1
                raise Refusal(failure[2], failure[3], "系统繁忙，请稍后重试")

    def route(self, method: str, path: str, query: dict, body: dict) -> tuple[int, object]:
        routes = [("POST", r"/v3/pay/transactions/native", self.native),
                  ("GET", r"/v3/pay/transactions/out-trade-no/([^/]+)", self.order),
                  ("POST", r"/v3/pay/transactions/out-trade-no/([^/]+)/close", self.close),
                  ("POST", r"/v3/refund/domestic/refunds", self.refund),
                  ("POST", r"/v3/profitsharing/orders", self.split),
                  ("GET", r"/v3/profitsharing/orders/([^/]+)", self.split_order),
                  ("GET", r"/v3/bill/tradebill", self.trade_bill),
                  ("GET", r"/v3/billdownload/file", self.bill_file)]
        for verb, pattern, handler in routes:
            found = re.fullmatch(pattern, path)
            if verb == method and found:
                return handler(*found.groups(), query=query, body=body)
        raise Refusal(404, "NOT_FOUND", "无此接口")

    def native(self, query, body) -> tuple[int, dict]:
        number, amount = body.get("out_trade_no", ""), body.get("amount") or {}
        if body.get("appid") != APPID or body.get("mchid") != MCHID or not TRADE_NUMBER.match(number) \
                or not 1 <= len(body.get("description", "")) <= 127 or not body.get("notify_url", "").startswith(
                    "https://") or type(amount.get("total")) is not int or amount["total"] < 1 \
                or amount.get("currency") != "CNY" or not EXPIRY.match(body.get("time_expire", "")):
            raise Refusal(400, "PARAM_ERROR", "参数错误")
        order = self.orders.get(number)
        if order is not None:
            if order["state"] == "CLOSED":
                raise Refusal(400, "ORDER_CLOSED", "订单已关闭")
            if order["request"] != body:
                raise Refusal(400, "INVALID_REQUEST", "商户订单号重复")
            return 200, {"code_url": order["code_url"]}
        self.orders[number] = {"request": body, "state": "NOTPAY", "total": amount["total"], "refunded": 0,
                               "code_url": f"weixin://wxpay/bizpayurl?pr={secrets.token_hex(4)}",
                               "profit_sharing": bool((body.get("settle_info") or {}).get("profit_sharing"))}
        return 200, {"code_url": self.orders[number]["code_url"]}

    def _order(self, number: str) -> dict:
        if number not in self.orders:
            raise Refusal(404, "ORDER_NOT_EXIST", "订单不存在")
        return self.orders[number]

    def order(self, number, query, body) -> tuple[int, dict]:
        if query.get("mchid") != MCHID:
            raise Refusal(400, "PARAM_ERROR", "mchid与请求不符")
        order = self._order(number)
        shown = {"appid": APPID, "mchid": MCHID, "out_trade_no": number, "trade_state": order["state"],
                 "trade_type": "NATIVE", "amount": {"total": order["total"], "currency": "CNY"}}
        if "transaction_id" in order:
            shown.update(transaction_id=order["transaction_id"], success_time=order["success_time"])
        return 200, shown

    def close(self, number, query, body) -> tuple[int, None]:
        order = self._order(number)
        if body != {"mchid": MCHID}:
            raise Refusal(400, "PARAM_ERROR", "参数错误")
        if order["state"] in ("SUCCESS", "REFUND"):
            raise Refusal(400, "ORDERPAID", "订单已支付")
        order["state"] = "CLOSED"
        return 204, None

    def refund(self, query, body) -> tuple[int, dict]:
        number, amount = body.get("out_refund_no", ""), body.get("amount") or {}
        order = self._order(body.get("out_trade_no", ""))
        if number in self.refunds:
            return 200, self.refunds[number]["shown"]
        if order["state"] not in ("SUCCESS", "REFUND") or amount.get("total") != order["total"] \
                or amount.get("currency") != "CNY" or type(amount.get("refund")) is not int \
                or not 0 < amount["refund"] <= order["total"] - order["refunded"]:
            raise Refusal(400, "INVALID_REQUEST", "退款金额或订单状态不符")
        order["state"], order["refunded"] = "REFUND", order["refunded"] + amount["refund"]
        shown = {"refund_id": f"5030{next(self.numbers):024d}", "out_refund_no": number,
                 "transaction_id": order["transaction_id"], "out_trade_no": body["out_trade_no"],
                 "channel": "ORIGINAL", "status": "PROCESSING", "create_time": now_text(),
                 "amount": {"total": order["total"], "refund": amount["refund"], "currency": "CNY"}}
        self.refunds[number] = {"shown": shown, "day": today(), "request": body}
        return 200, shown

    def split(self, query, body) -> tuple[int, dict]:
        number, receivers = body.get("out_order_no", ""), body.get("receivers") or []
        if number in self.splits:
            return 200, self.splits[number]
        order = next((o for o in self.orders.values() if o.get("transaction_id") == body.get("transaction_id")), None)
        if order is None or not order["profit_sharing"] or body.get("appid") != APPID \
                or body.get("unfreeze_unsplit") is not True:
            raise Refusal(400, "INVALID_REQUEST", "订单不存在或不支持分账")
        if any(r.get("type") != "MERCHANT_ID" or r.get("account") != FUND or type(r.get("amount")) is not int
               or r["amount"] < 1 or not r.get("description") for r in receivers) or not receivers:
            raise Refusal(400, "RECEIVER_INVALID", "分账接收方未添加或参数错误")
        self.splits[number] = {"transaction_id": body["transaction_id"], "out_order_no": number,
                               "order_id": f"3008{next(self.numbers):024d}", "state": "PROCESSING",
                               "receivers": [{**r, "result": "PENDING"} for r in receivers]}
        if self.split_state != "PROCESSING":
            self.end_split(number, "SUCCESS" if self.split_state == "FINISHED" else "CLOSED")
        return 200, self.splits[number]

    def end_split(self, number: str, result: str = "SUCCESS") -> None:
        """WeChat finishes a split: the fund's part SUCCESS or CLOSED, the rest unfrozen for the merchant."""
        split = self.splits[number]
        for receiver in split["receivers"]:
            receiver.update(result=result, finish_time=now_text(),
                            **({"fail_reason": "ACCOUNT_ABNORMAL"} if result == "CLOSED" else {}))
        split["receivers"].append({"type": "MERCHANT_ID", "account": MCHID, "amount": 0, "result": "SUCCESS",
                                   "description": "解冻给分账方"})
        split["state"] = "FINISHED"

    def split_order(self, number, query, body) -> tuple[int, dict]:
        split = self.splits.get(number)
        if split is None or split["transaction_id"] != query.get("transaction_id"):
            raise Refusal(404, "RESOURCE_NOT_EXISTS", "记录不存在")
        return 200, split

    def trade_bill(self, query, body) -> tuple[int, dict]:
        if query.get("bill_type") != "ALL" or query.get("tar_type") != "GZIP":
            raise Refusal(400, "PARAM_ERROR", "参数错误")
        text = self.bill(dt.date.fromisoformat(query.get("bill_date", "")))
        if text is None:
            raise Refusal(400, "NO_STATEMENT_EXIST", "账单文件不存在")
        token = base64.urlsafe_b64encode(query["bill_date"].encode()).decode()
        return 200, {"hash_type": "SHA1", "hash_value": hashlib.sha1(text.encode()).hexdigest(),
                     "download_url": f"{self.url}/v3/billdownload/file?token={token}"}

    def bill_file(self, query, body) -> tuple[int, bytes]:
        text = self.bill(dt.date.fromisoformat(base64.urlsafe_b64decode(query["token"]).decode()))
        return 200, gzip.compress(text.replace(*self.file_change).encode() if self.file_change else text.encode())

    def bill(self, day: dt.date) -> str | None:
        """The day's trade bill as WeChat writes it: a fee of 0.6 % rounded to the fen on each payment, given back
        in proportion on each refund."""
        rows, paid, fees = [], 0, 0
        for number, order in self.orders.items():
            if order.get("day") == day:
                fee = (order["total"] * 6 + 500) // 1000
                rows.append(bill_row(order["success_time"], order["transaction_id"], number, "SUCCESS",
                                     settled=order["total"], fee=fee, ordered=order["total"]))
                paid, fees = paid + order["total"], fees + fee
        refunded = 0
        for number, refund in self.refunds.items():
            if refund["day"] == day:
                order, amount = self.orders[refund["request"]["out_trade_no"]], refund["shown"]["amount"]["refund"]
                fee = -((amount * 6 + 500) // 1000)
                rows.append(bill_row(refund["shown"]["create_time"], order["transaction_id"],
                                     refund["request"]["out_trade_no"], "REFUND",
                                     refund_id=refund["shown"]["refund_id"], refund_number=number, refunded=amount,
                                     fee=fee))
                refunded, fees = refunded + amount, fees + fee
        if not rows:
            return None
        summary = [len(rows), major_units(paid), major_units(refunded), "0.00", f"{major_units(fees)}000",
                   major_units(paid), major_units(refunded)]
        return "\r\n".join([BILL_HEADER, *rows, BILL_SUMMARY, ",".join(f"`{v}" for v in summary)]) + "\r\n"

    # --- the payer, and what WeChat Pay sends ------------------------------------------------------------------

    def pay(self, number: str) -> dict:
        """The resident scans the code and pays."""
        order = self.orders[number]
        assert order["state"] == "NOTPAY", order["state"]
        order.update(state="SUCCESS", transaction_id=f"4200{next(self.numbers):024d}", success_time=now_text(),
                     day=today())
        return order

    def refund_by_hand(self, number: str, amount: int) -> str:
        """Someone refunds part of an order in the merchant platform (商户平台), outside Linli: its refund number."""
        refund = f"HAND{next(self.numbers)}"
        with self.lock:
            self.refund(query={}, body={"out_trade_no": number, "out_refund_no": refund, "amount": {
                "refund": amount, "total": self.orders[number]["total"], "currency": "CNY"}})
        return refund

    def paid_notice(self, number: str, key=None, timestamp=None, **overrides) -> tuple[bytes, dict]:
        order = self.orders[number]
        resource = {"mchid": MCHID, "appid": APPID, "out_trade_no": number, "transaction_id": order["transaction_id"],
                    "trade_type": "NATIVE", "trade_state": "SUCCESS", "trade_state_desc": "支付成功",
                    "bank_type": "OTHERS", "attach": order["request"]["attach"], "success_time": order["success_time"],
                    "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
                    "amount": {"total": order["total"], "payer_total": order["total"], "currency": "CNY",
                               "payer_currency": "CNY"}}
        return self.notification("TRANSACTION.SUCCESS", "transaction", {**resource, **overrides}, key, timestamp)

    def refund_notice(self, number: str, status: str = "SUCCESS") -> tuple[bytes, dict]:
        refund = self.refunds[number]["shown"]
        resource = {"mchid": MCHID, "out_trade_no": refund["out_trade_no"], "transaction_id": refund["transaction_id"],
                    "out_refund_no": number, "refund_id": refund["refund_id"], "refund_status": status,
                    "success_time": now_text(), "user_received_account": "支付用户零钱",
                    "amount": {"total": refund["amount"]["total"], "refund": refund["amount"]["refund"],
                               "payer_total": refund["amount"]["total"], "payer_refund": refund["amount"]["refund"]}}
        return self.notification(f"REFUND.{status}", "refund", resource)

    def share_notice(self, number: str) -> tuple[bytes, dict]:
        split = self.splits[number]
        fund = split["receivers"][0]
        resource = {"mchid": MCHID, "transaction_id": split["transaction_id"], "order_id": split["order_id"],
                    "out_order_no": number, "success_time": now_text(),
                    "receiver": {"type": fund["type"], "account": fund["account"], "amount": fund["amount"],
                                 "description": fund["description"]}}
        return self.notification("TRANSACTION.SUCCESS", "profitsharing", resource)

    def notification(self, event_type: str, original_type: str, resource: dict, key=None, timestamp=None,
                     event_id=None) -> tuple[bytes, dict]:
        """A notification as WeChat Pay POSTs it: the resource encrypted, the body signed."""
        nonce = secrets.token_hex(6)
        sealed = AESGCM(APIV3_KEY.encode()).encrypt(nonce.encode(), json.dumps(resource, ensure_ascii=False).encode(),
                                                     original_type.encode())
        event = {"id": event_id or f"EV-{secrets.token_hex(10)}", "create_time": now_text(),
                 "resource_type": "encrypt-resource", "event_type": event_type, "summary": "通知",
                 "resource": {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM",
                              "ciphertext": base64.b64encode(sealed).decode(), "associated_data": original_type,
                              "nonce": nonce}}
        body = json.dumps(event, ensure_ascii=False).encode()
        return body, self.signed_headers(body, key or self.keys.platform, timestamp)

    def signed_headers(self, body: bytes, key, timestamp=None) -> dict:
        stamp, nonce = str(int(time.time()) if timestamp is None else timestamp), secrets.token_hex(16).upper()
        return {"Wechatpay-Timestamp": stamp, "Wechatpay-Nonce": nonce, "Wechatpay-Serial": PUBLIC_KEY_ID,
                "Wechatpay-Signature": sign(key, f"{stamp}\n{nonce}\n{body.decode()}\n"),
                "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048", "Content-Type": "application/json"}


def bill_row(when: str, transaction_id: str, number: str, state: str, settled=0, fee=0, ordered=0, refund_id="0",
             refund_number="0", refunded=0) -> str:
    """One row of a trade bill, each field after a backtick (the bill's own text marker)."""
    moment = dt.datetime.fromisoformat(when).strftime("%Y-%m-%d %H:%M:%S")
    fields = [moment, APPID, MCHID, "0", "", transaction_id, number, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "NATIVE", state,
              "OTHERS", "CNY", major_units(settled), "0.00", refund_id, refund_number, major_units(refunded), "0.00",
              "ORIGINAL" if refunded else "", "SUCCESS" if refunded else "", "社区预订", "", f"{major_units(fee)}000",
              "0.60%", major_units(ordered), major_units(refunded), ""]
    return ",".join(f"`{value}" for value in fields)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeWeChatPay

    def _serve(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, payload = self.fake.answer(self.command, self.path, self.headers, body)
        if isinstance(payload, bytes):
            data, headers = payload, {"Content-Type": "application/octet-stream"}
        else:
            data = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
            headers = self.fake.signed_headers(data, self.fake.answer_key or self.fake.keys.platform)
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(data)), "Request-ID": secrets.token_hex(8)}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _serve

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def wechat_fake(wechat_keys):
    """A fresh fake WeChat Pay on 127.0.0.1 (its own port), stopped after the test."""
    fake = FakeWeChatPay(wechat_keys)
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {"fake": fake}))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
