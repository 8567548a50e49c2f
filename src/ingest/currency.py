"""Historical exchange rates, offline: the ECB reference rates that the currencyconverter package ships.

The rate table is read once, the first time a claim in a currency other than the base one is compared.
A date outside the table's range takes the nearest rate; a day without a rate (a weekend) the nearest one
before it; no date, the latest rate.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


@cache
def _converter():
    from currency_converter import CurrencyConverter

    return CurrencyConverter(fallback_on_missing_rate=True, fallback_on_wrong_date=True)


@cache
def known(unit: str | None) -> bool:
    """Whether ``unit`` is a currency of the rate table (an ISO code such as EUR, JPY, INR)."""
    return bool(unit) and len(unit) == 3 and unit.isupper() and unit in _converter().currencies


def day(when: str | None) -> dt.date | None:
    """The day a rate is taken for: a date as given, the 15th of a month, 1 July of a year; None if unreadable."""
    m = _DATE.match(when or "")
    if not m:
        return None
    year, month, d = int(m.group(1)), int(m.group(2) or 7), int(m.group(3) or (15 if m.group(2) else 1))
    try:
        return dt.date(year, month, d)
    except ValueError:
        return None


@cache
def rate(unit: str, base: str, when: str | None) -> float | None:
    """How many ``base`` one ``unit`` was worth on the day of ``when`` (YYYY, YYYY-MM or YYYY-MM-DD; None: the
    latest rate); None when either currency is not in the table."""
    if unit == base:
        return 1.0
    if not (known(unit) and known(base)):
        return None
    return _converter().convert(1.0, unit, base, date=day(when))
