"""An amount of yuan in Chinese capital numerals (大写金额), as a receipt or a cheque writes it so no stroke can change it.

The People's Bank's rules for payment documents: 元 then 整 when there are no
角 or 分; one 零 for a run of zeros inside the number (none before 万 or 亿,
where the group's name already says the place); ¥1,250.00 is 壹仟贰佰伍拾元整,
¥1,005.05 is 壹仟零伍元零伍分, ¥100,500.00 is 壹拾万零伍佰元整.
"""
from __future__ import annotations

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("", "拾", "佰", "仟")
GROUPS = ("", "万", "亿", "万亿")


def _yuan(yuan: int) -> str:
    """The whole yuan, group by group of four digits from the highest."""
    digits = str(yuan)
    groups = [digits[max(0, end - 4):end] for end in range(len(digits), 0, -4)][::-1]
    words, zero = [], False
    for index, group in enumerate(groups):
        name = GROUPS[len(groups) - 1 - index]
        for place, digit in enumerate(group.zfill(4)):
            if digit == "0":
                zero = zero or bool(words)  # a zero counts only after the first digit written
                continue
            if zero:
                words.append("零")
            words.append(DIGITS[int(digit)] + PLACES[3 - place])
            zero = False
        if int(group):
            words.append(name)
            zero = False  # the group's name stands for its trailing zeros
    return "".join(words)


def in_capitals(amount: int, currency: str = "CNY") -> str | None:
    """Minor units of yuan (fen) in capital numerals; None for another currency or a negative amount."""
    if currency != "CNY" or amount < 0:
        return None
    yuan, jiao, fen = amount // 100, amount // 10 % 10, amount % 10
    words = _yuan(yuan) + "元" if yuan else ""
    if not jiao and not fen:
        return (words or "零元") + "整"
    if jiao:
        words += DIGITS[jiao] + "角"
    elif words:
        words += "零"
    if fen:
        words += DIGITS[fen] + "分"
    return words
