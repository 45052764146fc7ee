"""factory_boy factories for the core domain rows; shared by every test module.

Each factory writes real rows through the ORM. Defaults are valid under every model
constraint; pass fields to shape the case a test needs.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from cs_platform.core import clock
from cs_platform.core.models import Role, StaffProfile
from customers.models import CTA, Account, Contact, Contract, Renewal
from health.models import HealthScore, LatestHealthScore, Scorecard, UsageDaily
from health.scoring import default_scorecard_dict
from integrations.models import SupportTicket

PASSWORD = "correct-horse-battery-staple"  # noqa: S105 (test fixture)


class StaffProfileFactory(DjangoModelFactory):
    class Meta:
        model = StaffProfile

    role = Role.CSM


class UserFactory(DjangoModelFactory):
    """A staff user with a CS role (`role=None`: no profile); the password is PASSWORD."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    class Params:
        role = Role.CSM

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@staff.test")
    is_staff = True
    password = factory.django.Password(PASSWORD)
    profile = factory.Maybe(
        "role",
        yes_declaration=factory.RelatedFactory(
            StaffProfileFactory, factory_related_name="user", role=factory.SelfAttribute("..role")
        ),
        no_declaration=None,
    )


class SuperUserFactory(UserFactory):
    class Params:
        role = None

    is_superuser = True


class AccountFactory(DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n:04d}")
    domain = factory.Sequence(lambda n: f"account-{n:04d}.test")
    owner = factory.SubFactory(UserFactory)
    tier = "mid_market"
    industry = "software"
    lifecycle_stage = "adoption"
    status = "active"
    arr = Decimal("48000.00")
    currency = "USD"
    # As the money service would store it: USD is the reporting currency in tests.
    arr_reporting = factory.LazyAttribute(lambda o: o.arr if o.currency == "USD" else None)
    seats_licensed = 50
    payment_status = "current"
    customer_since = factory.LazyFunction(lambda: clock.today() - timedelta(days=365))


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    first_name = "Ada"
    last_name = factory.Sequence(lambda n: f"Contact{n}")
    email = factory.Sequence(lambda n: f"contact{n}@customer.test")
    role = "user"


class ContractFactory(DjangoModelFactory):
    class Meta:
        model = Contract

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Subscription {n}")
    start_date = factory.LazyFunction(lambda: clock.today() - timedelta(days=300))
    end_date = factory.LazyFunction(lambda: clock.today() + timedelta(days=65))
    arr = Decimal("48000.00")
    seats = 50


class RenewalFactory(DjangoModelFactory):
    class Meta:
        model = Renewal

    account = factory.SubFactory(AccountFactory)
    renewal_date = factory.LazyFunction(lambda: clock.today() + timedelta(days=65))
    current_arr = Decimal("48000.00")


class SupportTicketFactory(DjangoModelFactory):
    class Meta:
        model = SupportTicket

    account = factory.SubFactory(AccountFactory)
    subject = factory.Sequence(lambda n: f"Ticket {n}")
    status = "open"
    priority = "normal"
    opened_at = factory.LazyFunction(lambda: clock.now() - timedelta(hours=30))
    first_response_at = factory.LazyAttribute(lambda t: t.opened_at + timedelta(minutes=45))


class UsageDailyFactory(DjangoModelFactory):
    class Meta:
        model = UsageDaily

    account = factory.SubFactory(AccountFactory)
    date = factory.Sequence(lambda n: clock.today() - timedelta(days=n))
    active_users = 40
    sessions = 90
    events = 700
    minutes = 800


class CtaFactory(DjangoModelFactory):
    class Meta:
        model = CTA

    account = factory.SubFactory(AccountFactory)
    reason = "manual"
    title = factory.Sequence(lambda n: f"Follow up {n}")
    source = "manual"


class ScorecardFactory(DjangoModelFactory):
    class Meta:
        model = Scorecard
        django_get_or_create = ("key", "version")

    key = "default"
    version = 1
    name = "Default"
    # A valid definition: snapshots that point at it are expanded against it on read (the
    # default's v1 row only exists on databases migrated before v2 became the default).
    definition = factory.LazyFunction(lambda: default_scorecard_dict() | {"version": 1})


class HealthScoreFactory(DjangoModelFactory):
    class Meta:
        model = HealthScore
        skip_postgeneration_save = True  # the hook writes the pointer, not the snapshot

    account = factory.SubFactory(AccountFactory)
    scorecard = factory.SubFactory(ScorecardFactory)
    as_of = factory.LazyFunction(clock.now)
    computed_at = factory.LazyFunction(clock.now)
    score = Decimal("72.5")
    computed_score = Decimal("72.5")
    band = "green"
    coverage = Decimal("0.900")
    confidence = "high"
    inputs = factory.LazyFunction(dict)
    result = factory.LazyFunction(dict)

    @factory.post_generation
    def latest(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy's signature
        """The new snapshot becomes its account's latest (``latest=False`` to leave it)."""
        if create and extracted is not False:
            LatestHealthScore.objects.update_or_create(
                account_id=obj.account_id, defaults={"snapshot": obj, "as_of": obj.as_of}
            )
