"""Record a data-subject request as received (it is due 30 days later)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cs_platform.core.errors import DomainError
from gdpr.management.commands._subject import command_actor
from gdpr.models import RequestKind
from gdpr.services.requests import request_receive


class Command(BaseCommand):
    help = (
        "Record a received GDPR request (export = access/portability, erasure); it is due "
        "30 days later and is completed by gdpr_export / gdpr_erase for the same address."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=RequestKind.values)
        parser.add_argument("--email", required=True, help="The subject's e-mail address")
        parser.add_argument("--as", dest="as_user", help="Username of the staff member acting")

    def handle(self, *args, **options):
        try:
            dsr = request_receive(
                actor=command_actor(options), kind=options["kind"], email=options["email"]
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"request {dsr.pk} ({dsr.kind}) due {dsr.due_at:%Y-%m-%d}")
