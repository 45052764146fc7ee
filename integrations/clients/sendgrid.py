"""SendGrid v3 mail send. The answer is ``202`` with the message id in ``X-Message-Id``;
the event webhook later refers to it (with a filter suffix after a dot)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from integrations.clients.base import ProviderClient
from integrations.errors import ProviderError


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

        A POST that may have reached SendGrid is not repeated (the helper retries only
        failures where nothing was sent, 429 and 503), so a retry cannot send twice.
        """
        response = self.request("POST", "/v3/mail/send", json=email.as_payload())
        message_id = response.headers.get("X-Message-Id", "").strip()
        response.close()
        if not message_id:
            raise ProviderError(
                self.provider,
                f"HTTP {response.status_code} without X-Message-Id: delivery cannot be tracked",
                status=response.status_code,
            )
        return message_id
