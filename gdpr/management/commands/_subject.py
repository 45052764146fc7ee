"""What the GDPR commands share: the subject options, the acting user, the request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser

from cs_platform.core.actors import Actor, actor_for_user
from cs_platform.core.errors import NotFound
from gdpr.models import DataSubjectRequest
from gdpr.selectors import data_subject_request_get


def subject_arguments(parser: CommandParser) -> None:
    parser.add_argument("--email", help="The subject's e-mail address")
    parser.add_argument("--contact-id", type=int, help="A contact id (instead of or with --email)")
    parser.add_argument(
        "--request-id", type=int, help="The data-subject request this answers (default: every "
        "open request of this kind for the address)",
    )  # fmt: skip
    parser.add_argument(
        "--as", dest="as_user", help="Username of the staff member acting (the audit actor); "
        "default: the system (system:gdpr)",
    )  # fmt: skip


def command_actor(options: dict[str, Any]) -> Actor | None:
    username = options.get("as_user")
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"--as: no active user named {username!r}")
    return actor_for_user(user, channel="command")


def command_request(options: dict[str, Any]) -> DataSubjectRequest | None:
    request_id = options.get("request_id")
    if request_id is None:
        return None
    try:
        return data_subject_request_get(request_id)
    except NotFound as exc:
        raise CommandError(f"--request-id: {exc}") from None
