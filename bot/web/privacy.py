"""Masking of personal data in logs and staff analytics: phone numbers, ID-card numbers, credit codes."""
from __future__ import annotations

import re

PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
ID_CARD = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
CREDIT_CODE = re.compile(r"(?<![0-9A-Z])([0-9A-HJ-NPQRTUWXY]{2}\d{6})[0-9A-HJ-NPQRTUWXY]{9}([0-9A-HJ-NPQRTUWXY])(?![0-9A-Z])")


def mask(text: str) -> str:
    if not text:
        return text
    text = ID_CARD.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    text = CREDIT_CODE.sub(lambda m: f"{m.group(1)}*********{m.group(2)}", text)
    return PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
