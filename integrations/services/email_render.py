"""Personalising an e-mail from real fields. Pure: no ORM.

Templates use ``{{ variable }}`` placeholders from ``EMAIL_VARIABLES``. Every placeholder
must resolve to a non-empty value from the contact, account or people involved; an
unknown name, a value the records do not have, or an unbalanced brace is an
``invalid_input`` naming the field and the variable. Nothing is ever sent with a
placeholder left in it or replaced by a stand-in such as "there".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cs_platform.core.errors import InvalidInput

EMAIL_VARIABLES: dict[str, str] = {
    "first_name": "the contact's first name",
    "last_name": "the contact's last name",
    "full_name": "the contact's first and last name",
    "title": "the contact's job title",
    "email": "the contact's e-mail address",
    "account_name": "the account's name",
    "csm_name": "the account owner's (CSM's) full name",
    "csm_first_name": "the account owner's first name",
    "csm_email": "the account owner's e-mail address",
    "sender_name": "the sending user's full name",
    "sender_email": "the sending user's e-mail address",
}

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    email: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def email_variables(
    *, contact: Person, title: str, account_name: str, csm: Person | None, sender: Person
) -> dict[str, str]:
    """The values each variable takes for one message ("" where the records lack it)."""
    return {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "full_name": contact.full_name,
        "title": title,
        "email": contact.email,
        "account_name": account_name,
        "csm_name": csm.full_name if csm else "",
        "csm_first_name": csm.first_name if csm else "",
        "csm_email": csm.email if csm else "",
        "sender_name": sender.full_name,
        "sender_email": sender.email,
    }


def _problems(template: str, values: dict[str, str], field: str) -> list[dict[str, Any]]:
    problems = []
    for match in _PLACEHOLDER.finditer(template):
        name = match.group(1)
        if name not in EMAIL_VARIABLES:
            problems.append(
                {
                    "field": field,
                    "variable": name,
                    "type": "unknown_variable",
                    "message": f"unknown variable {{{{{name}}}}}; available: "
                    + ", ".join(sorted(EMAIL_VARIABLES)),
                }
            )
        elif not (values.get(name) or "").strip():
            problems.append(
                {
                    "field": field,
                    "variable": name,
                    "type": "missing_value",
                    "message": f"{{{{{name}}}}} has no value: the records lack "
                    f"{EMAIL_VARIABLES[name]}; rewrite the text without it",
                }
            )
    leftover = _PLACEHOLDER.sub("", template)
    if "{{" in leftover or "}}" in leftover:
        problems.append(
            {
                "field": field,
                "variable": None,
                "type": "malformed_placeholder",
                "message": "unbalanced '{{' or '}}': write placeholders as {{variable}}",
            }
        )
    return problems


def templates_render(templates: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    """Render each named template (e.g. subject, body) or raise ``InvalidInput`` listing
    every unresolved placeholder of every field at once."""
    problems = [p for field, text in templates.items() for p in _problems(text, values, field)]
    if problems:
        names = ", ".join(sorted({str(p["variable"] or p["field"]) for p in problems}))
        raise InvalidInput(f"cannot personalise the message: {names}", details={"errors": problems})
    return {
        field: _PLACEHOLDER.sub(lambda m: values[m.group(1)].strip(), text)
        for field, text in templates.items()
    }
