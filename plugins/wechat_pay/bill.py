"""WeChat Pay's trade bill of a day (交易账单, ``bill_type=ALL``) read into the core's statement lines.

The bill is text: a header row of column names, one row per payment (交易状态 ``SUCCESS``) and per refund
(``REFUND``), each field written with a leading backtick so that a spreadsheet keeps it as text, then a summary
(总交易单数 …). Amounts are yuan strings, read exactly into fen. Columns are found by their names, as bills of
other merchant types add some (特约商户号).

A payment's amount is its 订单金额 (what the order asked, coupons included: Linli's payment amount), or 应结订单金额
in bills without that column; a refund's is its 申请退款金额 (what Linli asked back), or 退款金额. The fee is
WeChat's 手续费 as the bill gives it, written to five decimals of a yuan though always whole fen (``0.72000``), and
negative on a refund row, where the fee of the money returned is given back.
"""
from __future__ import annotations

import datetime as dt

from core.plugin_api import StatementLine, minor_units

TIME, STATE, TRADE, REFUND, FEE = "交易时间", "交易状态", "商户订单号", "商户退款单号", "手续费"
PAID = ("订单金额", "应结订单金额")
REFUNDED = ("申请退款金额", "退款金额")
SUMMARY = "总交易单数"
KINDS = {"SUCCESS": "payment", "REFUND": "refund"}
FEE_PLACES = 5


def statement_lines(bill: str, day: dt.date) -> list[StatementLine]:
    """The payments and refunds of the bill, in its order; rows of other states (REVOKED) are left out."""
    lines, columns = [], None
    for row in bill.splitlines():
        row = row.strip()
        if row.startswith(SUMMARY):
            break
        if columns is None:
            columns = {name.strip(): place for place, name in enumerate(row.split(","))} if TIME in row else None
            continue
        if row.startswith("`"):
            line = _line(row[1:].split(",`"), columns, day)
            if line is not None:
                lines.append(line)
    return lines


def _line(fields: list[str], columns: dict[str, int], day: dt.date) -> StatementLine | None:
    def field(*names: str) -> str:
        place = next(columns[name] for name in names if name in columns)
        return fields[place].strip()

    kind = KINDS.get(field(STATE))
    if kind is None:
        return None
    if kind == "payment":
        return StatementLine(day, kind, field(TRADE), minor_units(field(*PAID)), fee_in_fen(field(FEE)))
    return StatementLine(day, kind, field(REFUND), minor_units(field(*REFUNDED)), fee_in_fen(field(FEE)))


def fee_in_fen(value: str) -> int:
    """A fee of the bill ("0.72000" yuan) in fen, exactly; ValueError for one that is not a whole fen."""
    hundred_thousandths = minor_units(value, FEE_PLACES)
    if hundred_thousandths % 1000:
        raise ValueError(f"a fee of part of a fen: {value!r}")
    return hundred_thousandths // 1000
