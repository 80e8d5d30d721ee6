"""A fake Alipay open-API gateway on 127.0.0.1 for the alipay plugin's tests: it keeps trades, refunds, royalty
settles and bills, verifies each request's RSA2 signature with the app's public key, answers signed with its own
"Alipay" key, and signs the asynchronous notifications a test posts to the app, as Alipay does.

Nothing is mocked on the app's side: the plugin's SDK talks HTTP to this server, with keys made by the fixture.
"""
from __future__ import annotations

import base64
import datetime as dt
import io
import itertools
import json
import threading
import uuid
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from core.money import major_units, minor_units

SHANGHAI = ZoneInfo("Asia/Shanghai")
APP_ID = "2021000000000001"
FUND_ACCOUNT = "2088000000000777"
SELLER = "2088000000000100"
BILL_HEADER = ["支付宝交易号", "商户订单号", "业务类型", "商品名称", "创建时间", "完成时间", "门店编号", "门店名称",
               "操作员", "终端号", "对方账户", "订单金额（元）", "商家实收（元）", "支付宝红包（元）", "集分宝（元）",
               "支付宝优惠（元）", "商家优惠（元）", "券核销金额（元）", "券名称", "商家红包消费金额（元）",
               "卡消费金额（元）", "退款批次号/请求号", "服务费（元）", "分润（元）", "备注"]


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def rsa2(key, text: str) -> str:
    return base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def content(fields: dict, leave_out=("sign",)) -> str:
    """What Alipay signs: the non-blank fields but ``leave_out``, sorted, as ``k=v`` joined by ``&``."""
    return "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if k not in leave_out and v != "")


def beijing_now() -> dt.datetime:
    return dt.datetime.now(SHANGHAI).replace(tzinfo=None)


@dataclass
class Trade:
    out_trade_no: str
    total_amount: str
    time_expire: str
    subject: str
    trade_no: str = ""
    status: str = "WAIT_BUYER_PAY"
    refunded: int = 0  # fen
    refunds: dict = field(default_factory=dict)  # out_request_no -> (amount fen, refunded total after it)


class FakeAlipay:
    """The gateway's state and what a test makes happen at Alipay (a resident pays, a bill is issued)."""

    def __init__(self, app_key, alipay_key, app_id=APP_ID):
        self.app_public = app_key.public_key()
        self.alipay_key = alipay_key
        self.app_id = app_id
        self.trades: dict[str, Trade] = {}
        self.settles: dict[str, dict] = {}
        self.receivers = {FUND_ACCOUNT}  # royalty receivers bound to the app
        self.bills: dict[str, bytes] = {}
        self.calls: list[tuple[str, dict]] = []  # (method, biz_content) of each verified request
        self.refused: list[str] = []  # why requests were refused
        self.down = False  # answer 502 to every API call
        self.settle_state = "SUCCESS"  # or PROCESSING: the settle answers "unknown outcome" and is processing
        self.paid_at_close: set[str] = set()  # trades the resident pays the moment Linli closes them (a race)
        self.lost: list[dict] = []  # notifications of payments made in such a race, to be delivered late
        self.pages: list[dict] = []  # the page pays the resident opened
        self.numbers = itertools.count(1)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.gateway = self.url + "/gateway.do"

    # --- what happens at Alipay -------------------------------------------------------------------------

    def pay(self, out_trade_no: str) -> dict:
        """The resident pays on the cashier: the trade succeeds; the notification Alipay would send."""
        with self.lock:
            trade = self.trades[out_trade_no]
            assert trade.status == "WAIT_BUYER_PAY", trade.status
            assert beijing_now() < dt.datetime.strptime(trade.time_expire, "%Y-%m-%d %H:%M:%S"), "the trade expired"
            trade.status, trade.trade_no = "TRADE_SUCCESS", f"2026{next(self.numbers):024d}"
        return self.notification(out_trade_no)

    def notification(self, out_trade_no: str, **changes) -> dict:
        """A signed trade_status_sync notification of the trade as it is (``changes`` applied before signing)."""
        trade = self.trades[out_trade_no]
        now = beijing_now().strftime("%Y-%m-%d %H:%M:%S")
        fields = {
            "gmt_create": now, "charset": "utf-8", "seller_email": "fund@example.org", "subject": trade.subject,
            "buyer_id": "2088000000000555", "invoice_amount": trade.total_amount, "notify_id": uuid.uuid4().hex,
            "fund_bill_list": json.dumps([{"amount": trade.total_amount, "fundChannel": "ALIPAYACCOUNT"}]),
            "notify_type": "trade_status_sync", "trade_status": trade.status, "receipt_amount": trade.total_amount,
            "app_id": self.app_id, "buyer_pay_amount": trade.total_amount, "notify_time": now,
            "point_amount": "0.00", "total_amount": trade.total_amount, "trade_no": trade.trade_no,
            "auth_app_id": self.app_id, "buyer_logon_id": "res***@example.org", "out_trade_no": out_trade_no,
            "seller_id": SELLER, "version": "1.0", "gmt_payment": now, "sign_type": "RSA2",
        }
        fields.update(changes)
        return self.signed(fields)

    def refund_notification(self, out_trade_no: str, out_request_no: str) -> dict:
        """What Alipay sends after a refund: ``refund_fee`` is the trade's refunded total after that refund."""
        trade = self.trades[out_trade_no]
        total = trade.refunds[out_request_no][1]
        return self.notification(out_trade_no, refund_fee=major_units(total), out_biz_no=out_request_no,
                                 gmt_refund=beijing_now().strftime("%Y-%m-%d %H:%M:%S.000"))

    def signed(self, fields: dict, key=None) -> dict:
        """The fields with the signature of Alipay's key (or ``key``) over all but sign and sign_type."""
        fields = {k: v for k, v in fields.items() if k != "sign"}
        return {**fields, "sign": rsa2(key or self.alipay_key, content(fields, ("sign", "sign_type")))}

    def bill(self, day: str, rows: list[list[str]]) -> None:
        """Issue the trade bill of ``day``: a zip of the detail and summary CSVs, GBK-encoded, as Alipay's."""
        detail = ["#支付宝业务明细查询", "#账号：[20880000000001000156]", f"#起始日期：[{day} 00:00:00]",
                  ",".join(BILL_HEADER), *(",".join(row) for row in rows), "#" + "-" * 40 + "业务明细列表结束" + "-" * 36,
                  "#导出时间：[2026-12-07 09:00:00]"]
        summary = ["#支付宝业务汇总查询", "门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）",
                   f"合计,,{len(rows)},0,0.00,0.00", "#结束"]
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as bill:
            bill.writestr(f"20880000000001000156_{day.replace('-', '')}_业务明细.csv", "\r\n".join(detail).encode("gbk"))
            bill.writestr(f"20880000000001000156_{day.replace('-', '')}_业务明细(汇总).csv",
                          "\r\n".join(summary).encode("gbk"))
        self.bills[day] = archive.getvalue()

    # --- the API ------------------------------------------------------------------------------------------

    def answer(self, method: str, biz: dict) -> dict:
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return failure("40004", "ACQ.INVALID_METHOD", "不支持的方法")
        with self.lock:
            return handler(biz)

    def _alipay_trade_query(self, biz):
        trade = self.trades.get(biz.get("out_trade_no"))
        if trade is None:
            return failure("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在")
        return ok(trade_no=trade.trade_no, out_trade_no=trade.out_trade_no, trade_status=trade.status,
                  total_amount=trade.total_amount)

    def _alipay_trade_close(self, biz):
        trade = self.trades.get(biz.get("out_trade_no"))
        if trade is None:
            return failure("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在")
        if trade.out_trade_no in self.paid_at_close and trade.status == "WAIT_BUYER_PAY":
            trade.status, trade.trade_no = "TRADE_SUCCESS", f"2026{next(self.numbers):024d}"
            self.lost.append(self.notification(trade.out_trade_no))
        if trade.status != "WAIT_BUYER_PAY":
            return failure("40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        trade.status = "TRADE_CLOSED"
        return ok(out_trade_no=trade.out_trade_no)

    def _alipay_trade_refund(self, biz):
        trade = self.trades.get(biz.get("out_trade_no"))
        if trade is None or trade.status not in ("TRADE_SUCCESS", "TRADE_CLOSED") or not trade.trade_no:
            return failure("40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        number, amount = biz["out_request_no"], minor_units(biz["refund_amount"])
        if number in trade.refunds:  # the same request again: the same answer, no money moves
            return ok(trade_no=trade.trade_no, out_trade_no=trade.out_trade_no, fund_change="N",
                      refund_fee=major_units(trade.refunds[number][1]))
        if amount <= 0 or trade.refunded + amount > minor_units(trade.total_amount):
            return failure("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
        trade.refunded += amount
        trade.refunds[number] = (amount, trade.refunded)
        if trade.refunded == minor_units(trade.total_amount):
            trade.status = "TRADE_CLOSED"
        return ok(trade_no=trade.trade_no, out_trade_no=trade.out_trade_no, fund_change="Y",
                  refund_fee=major_units(trade.refunded))

    def _alipay_trade_order_settle(self, biz):
        trade = next((t for t in self.trades.values() if t.trade_no and t.trade_no == biz.get("trade_no")), None)
        if trade is None or trade.status not in ("TRADE_SUCCESS", "TRADE_CLOSED"):
            return failure("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在")
        number = biz["out_request_no"]
        if number not in self.settles:
            (royalty,) = biz["royalty_parameters"]
            amount = minor_units(royalty["amount"])
            if royalty["trans_in"] not in self.receivers:
                return failure("40004", "ACQ.TRADE_SETTLE_ERROR", "分账收款方未绑定分账关系")
            if amount > minor_units(trade.total_amount) - trade.refunded:
                return failure("40004", "ACQ.TRADE_SETTLE_ERROR", "分账金额超过可分账金额")
            self.settles[number] = {"trade_no": trade.trade_no, "amount": amount, "trans_in": royalty["trans_in"],
                                    "trans_in_type": royalty["trans_in_type"], "state": self.settle_state,
                                    "finish": (biz.get("extend_params") or {}).get("royalty_finish")}
        if self.settles[number]["state"] == "PROCESSING":
            return failure("40004", "ACQ.SYSTEM_ERROR", "系统繁忙")
        return ok(trade_no=trade.trade_no, settle_no=f"2026{next(self.numbers):020d}")

    def _alipay_trade_order_settle_query(self, biz):
        settle = self.settles.get(biz.get("out_request_no"))
        if settle is None or settle["trade_no"] != biz.get("trade_no"):
            return failure("40004", "ACQ.TRADE_SETTLE_NOT_EXIST", "分账单不存在")
        return ok(out_request_no=biz["out_request_no"], royalty_detail_list=[{
            "operation_type": "transfer", "trans_in": settle["trans_in"], "amount": major_units(settle["amount"]),
            "state": settle["state"], **({"error_code": "RECEIVE_ACCOUNT_ERROR", "error_desc": "收款账户异常"}
                                         if settle["state"] == "FAIL" else {})}])

    def _alipay_data_dataservice_bill_downloadurl_query(self, biz):
        if biz.get("bill_type") != "trade" or biz.get("bill_date") not in self.bills:
            return failure("40004", "isp.bill_not_exist", "账单不存在")
        return ok(bill_download_url=f"{self.url}/bills/{biz['bill_date']}.zip")

    def _alipay_trade_page_pay(self, biz):
        """The resident opens the cashier: the trade exists from now on, awaiting the payment."""
        number = biz["out_trade_no"]
        trade = self.trades.setdefault(number, Trade(number, biz["total_amount"], biz["time_expire"], biz["subject"]))
        self.pages.append(biz)
        return {"cashier": trade.status}

    # --- HTTP -----------------------------------------------------------------------------------------------

    def verified_request(self, query: str) -> tuple[str, dict] | None:
        params = dict(parse_qsl(query, keep_blank_values=True))
        try:
            self.app_public.verify(base64.b64decode(params.get("sign", "")), content(params).encode(),
                                   padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            self.refused.append("signature")
            return None
        if params.get("app_id") != self.app_id or params.get("sign_type") != "RSA2":
            self.refused.append("app")
            return None
        biz = json.loads(params.get("biz_content") or "{}")
        self.calls.append((params["method"], biz))
        return params["method"], biz

    def signed_answer(self, method: str, answer: dict) -> bytes:
        body = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
        name = method.replace(".", "_") + "_response"
        return f'{{"{name}":{body},"sign":"{rsa2(self.alipay_key, body)}"}}'.encode()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                if parts.path.startswith("/bills/"):
                    bill = fake.bills.get(parts.path.removeprefix("/bills/").removesuffix(".zip"))
                    return self.send(200 if bill else 404, bill or b"", "application/zip")
                if fake.down:
                    return self.send(502, b"Bad Gateway", "text/plain")
                request = fake.verified_request(parts.query)
                if request is None:
                    error = {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature",
                             "sub_msg": "验签出错"}
                    return self.send(200, json.dumps({"error_response": error}).encode(), "application/json")
                method, biz = request
                answer = fake.answer(method, biz)
                if method == "alipay.trade.page.pay":
                    return self.send(200, f"<html><body>收银台 {answer['cashier']}</body></html>".encode(),
                                     "text/html; charset=utf-8")
                self.send(200, fake.signed_answer(method, answer), "application/json;charset=utf-8")

            def send(self, status, body, kind):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def ok(**fields) -> dict:
    return {"code": "10000", "msg": "Success", **fields}


def failure(code: str, sub_code: str, sub_msg: str) -> dict:
    return {"code": code, "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_msg}


@dataclass(frozen=True)
class Keys:
    app: rsa.RSAPrivateKey
    alipay: rsa.RSAPrivateKey
    stranger: rsa.RSAPrivateKey  # signs as nobody Linli trusts


@pytest.fixture(scope="session")
def alipay_keys() -> Keys:
    """The app's key pair, the fake Alipay's and another, made once per session (2048 bits, as Alipay asks)."""
    return Keys(new_key(), new_key(), new_key())


@pytest.fixture
def fake_alipay(alipay_keys):
    """A running fake gateway, and the app settings that point the plugin at it."""
    fake = FakeAlipay(alipay_keys.app, alipay_keys.alipay)
    fake.stranger_key = alipay_keys.stranger
    fake.start()
    fake.config = {
        "ALIPAY_APP_ID": APP_ID, "ALIPAY_APP_PRIVATE_KEY": private_pem(alipay_keys.app),
        "ALIPAY_ALIPAY_PUBLIC_KEY": public_pem(alipay_keys.alipay),
        "ALIPAY_NOTIFY_URL": "https://linli.example.org/api/v1/payments/alipay/notify",
        "ALIPAY_RETURN_URL": "https://linli.example.org/bookings", "ALIPAY_GATEWAY": fake.gateway,
        "ALIPAY_ROYALTY_ACCOUNT": FUND_ACCOUNT,
    }
    yield fake
    fake.stop()
