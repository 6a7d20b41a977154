"""Helpers for the lead page tests."""

import re
from datetime import date, timedelta

from app.admin.reference import channel_by_code, grade_by_code, vehicle_models

PHONE_RE = re.compile(r"1[3-9]\d{9}")


def entry_form(**overrides) -> dict:
    """A valid entry form post (the seven mandatory fields), with overrides."""
    data = {
        "name": "张伟",
        "phone": "138 0013 8000",
        "gender": "male",
        "source_channel": str(channel_by_code("walk_in").id),
        "model": str(vehicle_models()[0].id),
        "grade": str(grade_by_code("A").id),
        "expected_purchase_date": (date.today() + timedelta(days=14)).isoformat(),
    }
    data.update({k: v for k, v in overrides.items() if v is not None})
    for key in [k for k, v in overrides.items() if v is None]:
        data.pop(key, None)
    return data


def digits_only(html: str) -> str:
    """Remove the spaces a formatted number carries, so 138 0013 8000 matches the phone regex."""
    return re.sub(r"(\d{3}) (\d{4}) (\d{4})", r"\1\2\3", html)
