"""Alipay's trade bill of a day (``alipay.data.dataservice.bill.downloadurl.query``, ``bill_type=trade``): a zip of
GBK-encoded CSV files whose detail file lists each payment (业务类型 交易) and refund (退款) with the amount and the
service fee in yuan; comment lines start with ``#``, and cells often carry trailing tabs.

A payment's line is known by its ``out_trade_no``, a refund's by its ``out_request_no``; ``amount`` is positive,
``fee`` is the fee Alipay charged (negative for the fee it gives back with a refund).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import urllib.request
import zipfile

from core.plugin_api import PROVIDER_UNAVAILABLE, StatementLine, minor_units
from plugins.alipay.gateway import OK, TIMEOUT

NO_BILL = "isp.bill_not_exist"  # nothing happened that day
MAX_BILL_BYTES = 50 * 1024 * 1024
KINDS = {"交易": "payment", "退款": "refund"}
OUT_TRADE_NO, KIND, AMOUNT, REFUND_NO, FEE = "商户订单号", "业务类型", "订单金额（元）", "退款批次号/请求号", "服务费（元）"


def statement(alipay, day: dt.date) -> list[StatementLine]:
    answer = alipay.call("alipay.data.dataservice.bill.downloadurl.query",
                         {"bill_type": "trade", "bill_date": day.isoformat()})
    if answer.get("sub_code") == NO_BILL:
        return []
    if answer.get("code") != OK or not answer.get("bill_download_url"):
        raise PROVIDER_UNAVAILABLE()
    return lines(download(answer["bill_download_url"]), day)


def download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 - Alipay's signed https link
            return response.read(MAX_BILL_BYTES)
    except OSError:
        raise PROVIDER_UNAVAILABLE() from None


def lines(archive: bytes, day: dt.date) -> list[StatementLine]:
    """The statement lines of the bill's detail file(s), in the bill's order."""
    found = []
    with zipfile.ZipFile(io.BytesIO(archive)) as bill:
        for name in bill.namelist():
            if name.lower().endswith(".csv"):
                found += _detail_lines(bill.read(name).decode("gbk"), day)
    return found


def _detail_lines(text: str, day: dt.date) -> list[StatementLine]:
    """The rows under the header naming 商户订单号 and 业务类型 (the summary file has no such header)."""
    found, columns = [], None
    for row in csv.reader(io.StringIO(text)):
        cells = [cell.strip() for cell in row]
        if not cells or cells[0].startswith("#"):
            continue
        if columns is None:
            columns = {name: i for i, name in enumerate(cells)} if {OUT_TRADE_NO, KIND} <= set(cells) else None
            continue
        kind = KINDS.get(cells[columns[KIND]])
        if kind is None:
            continue
        reference = cells[columns[OUT_TRADE_NO]] if kind == "payment" else cells[columns[REFUND_NO]]
        found.append(StatementLine(day, kind, reference, abs(minor_units(cells[columns[AMOUNT]])),
                                   -minor_units(cells[columns[FEE]] or "0")))
    return found
