"""automate_newsletters: subscriptions, editions and sends through SendGrid after commit."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from cs_platform.core.errors import NotFound, PermissionDenied, field_error
from cs_platform.core.models import Role
from cs_platform.core.tools import ToolContext, tool
from customers.selectors import account_list_for_actor
from integrations.models import FiringStatus, NewsletterEdition, NewsletterSubscription
from integrations.services.newsletters import (
    contact_get_for_actor,
    newsletter_edition_create,
    newsletter_edition_send,
    newsletter_subscribe,
    newsletter_unsubscribe,
)
from integrations.tasks import outbox_deliver_on_commit
from integrations.tools.newsletters_contracts import (
    AutomateNewslettersInput,
    AutomateNewslettersOutput,
)

NEEDS = {
    "subscribe": ("newsletter", "contact_id"),
    "unsubscribe": ("newsletter", "contact_id"),
    "create_edition": ("newsletter", "subject", "body"),
    "send": ("edition_id",),
    "get": ("edition_id",),
}


def _editions(qs: Any) -> list[dict[str, Any]]:
    rows = qs.annotate(
        n_queued=Count("deliveries", filter=Q(deliveries__status=FiringStatus.QUEUED)),
        n_skipped=Count("deliveries", filter=Q(deliveries__status=FiringStatus.SKIPPED)),
    )
    return [
        {
            "id": e.pk,
            "newsletter": e.newsletter,
            "subject": e.subject,
            "status": e.status,
            "sent_at": e.sent_at,
            "queued": e.n_queued,
            "skipped": e.n_skipped,
        }
        for e in rows
    ]


def _edition(edition_id: int) -> NewsletterEdition:
    edition = NewsletterEdition.objects.filter(pk=edition_id).first()
    if edition is None:
        raise NotFound(f"no newsletter edition {edition_id}", details={"field": "edition_id"})
    return edition


@tool(permission="write", read_only=False, idempotent=False, read_actions=("list", "get"))
def automate_newsletters(
    ctx: ToolContext, params: AutomateNewslettersInput
) -> AutomateNewslettersOutput:
    """Newsletters: `subscribe`/`unsubscribe` a contact of your book; managers
    `create_edition` and `send` it as marketing e-mail through SendGrid (after commit) to
    every active subscriber not yet sent it — unsubscribed, opted-out, erased and
    no-consent contacts are skipped with the reason. SendGrid unsubscribe events end the
    subscription. `list`: newsletters and editions; `get`: one edition."""
    out: dict[str, Any] = {
        "as_of": ctx.now,
        "action": params.action,
        "newsletters": None,
        "editions": None,
        "edition": None,
        "subscription": None,
        "send": None,
    }
    for name in NEEDS.get(params.action, ()):
        if getattr(params, name) is None:
            raise field_error(name, f"is required to {params.action}", code="required")
    if params.action in ("create_edition", "send") and not (
        ctx.actor.role == Role.MANAGER or ctx.actor.user.is_superuser
    ):
        raise PermissionDenied(
            f"{params.action} is for CS managers: an edition goes to every book",
            details={"field": "action", "role": ctx.actor.role},
        )
    if params.action == "list":
        subs = (
            NewsletterSubscription.objects.filter(
                contact__account__in=account_list_for_actor(ctx.actor)
            )
            .order_by("newsletter")
            .values("newsletter")
            .annotate(
                subscribed=Count("id", filter=Q(unsubscribed_at__isnull=True)),
                unsubscribed=Count("id", filter=Q(unsubscribed_at__isnull=False)),
            )
        )
        out["newsletters"] = list(subs)
        out["editions"] = _editions(NewsletterEdition.objects.order_by("-created_at", "-pk")[:50])
    elif params.action in ("subscribe", "unsubscribe"):
        contact = contact_get_for_actor(ctx.actor, params.contact_id)
        if params.action == "subscribe":
            sub = newsletter_subscribe(
                actor=ctx.actor, contact=contact, newsletter=params.newsletter, now=ctx.now
            )
        else:
            sub = newsletter_unsubscribe(
                actor=ctx.actor,
                contact=contact,
                newsletter=params.newsletter,
                source="tool",
                now=ctx.now,
            )
            if sub is None:
                raise NotFound(
                    f"contact {contact.pk} is not subscribed to {params.newsletter}",
                    details={"field": "contact_id"},
                )
        ctx.audit(sub, changes={"action": params.action}, account_id=contact.account_id)
        out["subscription"] = {
            "contact_id": contact.pk,
            "newsletter": sub.newsletter,
            "subscribed_at": sub.subscribed_at,
            "unsubscribed_at": sub.unsubscribed_at,
        }
    elif params.action == "create_edition":
        edition = newsletter_edition_create(
            actor=ctx.actor, newsletter=params.newsletter, subject=params.subject, body=params.body
        )
        ctx.audit(edition, changes={"newsletter": edition.newsletter})
        out["edition"] = _editions(NewsletterEdition.objects.filter(pk=edition.pk))[0]
    else:
        edition = _edition(params.edition_id)
        if params.action == "send":
            result = newsletter_edition_send(actor=ctx.actor, edition=edition, now=ctx.now)
            outbox_deliver_on_commit(result.outbox_ids)
            out["send"] = result.as_dict()
            ctx.audit(edition, changes=result.as_dict())
        out["edition"] = _editions(NewsletterEdition.objects.filter(pk=edition.pk))[0]
    return AutomateNewslettersOutput(**out)
