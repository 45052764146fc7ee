"""SendGrid v3 mail send and the Email Activity lookup.

Mail send answers ``202`` with the message id in ``X-Message-Id``; the event webhook and
the Email Activity API later refer to it with a filter suffix after a dot. Mail send has
no idempotency key: SendGrid sends every request it accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from integrations.clients.base import ProviderClient
from integrations.errors import ProviderAuthError, ProviderClientError, ProviderError


@dataclass(frozen=True)
class OutgoingEmail:
    to_email: str
    subject: str
    text: str
    from_email: str
    to_name: str = ""
    from_name: str = ""
    html: str = ""
    reply_to: str = ""
    categories: tuple[str, ...] = ()
    # Returned verbatim in every event about the message (e.g. our EmailMessage id).
    custom_args: dict[str, str] = field(default_factory=dict)

    def as_payload(self) -> dict[str, Any]:
        to: dict[str, str] = {"email": self.to_email}
        if self.to_name:
            to["name"] = self.to_name
        sender: dict[str, str] = {"email": self.from_email}
        if self.from_name:
            sender["name"] = self.from_name
        content = [{"type": "text/plain", "value": self.text}]
        if self.html:
            content.append({"type": "text/html", "value": self.html})
        payload: dict[str, Any] = {
            "personalizations": [{"to": [to]}],
            "from": sender,
            "subject": self.subject,
            "content": content,
        }
        if self.reply_to:
            payload["reply_to"] = {"email": self.reply_to}
        if self.categories:
            payload["categories"] = list(self.categories)
        if self.custom_args:
            payload["custom_args"] = {k: str(v) for k, v in self.custom_args.items()}
        return payload


class SendGridClient(ProviderClient):
    provider = "sendgrid"

    def authenticate(self, session: requests.Session) -> None:
        session.headers["Authorization"] = f"Bearer {self.credentials['api_key']}"

    def mail_send(self, email: OutgoingEmail) -> str:
        """Send one message; returns SendGrid's ``X-Message-Id``.

        A POST that may have reached SendGrid is not repeated here (the helper retries
        only failures where nothing was sent, 429 and 503); such a failure carries
        ``maybe_processed`` and the caller must find out before sending again.
        """
        response = self.request("POST", "/v3/mail/send", json=email.as_payload())
        message_id = response.headers.get("X-Message-Id", "").strip()
        response.close()
        if not message_id:
            error = ProviderError(
                self.provider,
                f"HTTP {response.status_code} without X-Message-Id: delivery cannot be tracked",
                status=response.status_code,
            )
            error.maybe_processed = True  # it was accepted: sending again would duplicate it
            raise error
        return message_id

    def messages_with_custom_arg(self, name: str, value: str) -> list[dict[str, Any]] | None:
        """Messages SendGrid accepted carrying custom arg ``name`` = ``value``, from the
        Email Activity API (``GET /v3/messages``, query ``unique_args['name']="value"``).

        None when this account cannot ask: the API needs SendGrid's paid "additional
        email activity history" add-on and a key with Email Activity access (401/403),
        and an account without it may also answer 404."""
        query = f"unique_args['{name}']=\"{value}\""
        try:
            response = self.request("GET", "/v3/messages", params={"query": query, "limit": 10})
        except ProviderAuthError:
            return None
        except ProviderClientError as exc:
            if exc.status == 404:
                return None
            raise
        try:
            data = response.json()
        except ValueError:
            raise ProviderError(self.provider, "activity answer is not JSON") from None
        messages = data.get("messages") if isinstance(data, dict) else None
        if not isinstance(messages, list):
            raise ProviderError(self.provider, "activity answer lacks messages")
        return messages
