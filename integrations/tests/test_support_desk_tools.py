"""route_tickets, manage_knowledge_base, update_knowledge_base, manage_customer_portal and
analyze_support_performance on real rows (PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from audit.models import AuditEvent
from cs_platform.core import clock
from cs_platform.core.errors import InvalidInput, NotFound, PermissionDenied
from integrations.models import (
    CustomerPortalSettings,
    KnowledgeArticle,
    SlaPolicy,
    SupportTicket,
    TicketRoutingRule,
)
from tests.builders import call_tool

pytestmark = pytest.mark.django_db


def _ticket(account, subject, *, priority="normal", assignee="", status="open", ago_hours=1, **kw):
    return SupportTicket.objects.create(
        account=account,
        subject=subject,
        priority=priority,
        status=status,
        assignee=assignee,
        opened_at=clock.now() - timedelta(hours=ago_hours),
        **kw,
    )


@pytest.fixture
def desk(two_books, staff):
    acme, globex = two_books["acme"], two_books["globex"]
    call_tool(
        staff["manager"],
        "route_tickets",
        {
            "action": "create_rule",
            "name": "Urgent",
            "position": 0,
            "match_priority": "urgent",
            "agents": ["ana", "bo"],
        },
    )
    call_tool(
        staff["manager"],
        "route_tickets",
        {
            "action": "create_rule",
            "name": "Billing",
            "position": 1,
            "match_keyword": "invoice",
            "agents": ["cy"],
        },
    )
    _ticket(acme, "Old urgent", priority="urgent", assignee="ana")  # ana: load 1
    return {
        "u1": _ticket(acme, "Site down", priority="urgent", ago_hours=5),
        "u2": _ticket(acme, "API down", priority="urgent", ago_hours=4),
        "bill": _ticket(acme, "Wrong INVOICE total", ago_hours=3),
        "other": _ticket(acme, "How do I export?", priority="low", ago_hours=2),
        "globex": _ticket(globex, "Globex urgent", priority="urgent", ago_hours=6),
    }


def test_dry_run_places_tickets_by_rule_and_load_and_writes_nothing(desk, staff):
    out = call_tool(staff["csm1"], "route_tickets", {"action": "dry_run"})
    placed = {
        d["ticket_id"]: (d["rule"], d["agent"], d["agent_load_before"]) for d in out["decisions"]
    }
    # bo has no open tickets, ana one: u1 → bo (0), then u2 → ana (1 vs bo's 1, by name).
    assert placed == {
        desk["u1"].pk: ("Urgent", "bo", 0),
        desk["u2"].pk: ("Urgent", "ana", 1),
        desk["bill"].pk: ("Billing", "cy", 0),
        desk["other"].pk: (None, None, None),
    }  # Globex is csm2's: not in csm1's dry run
    assert out["unrouted"] == 1 and out["assigned"] == 0
    assert {row["agent"]: row["open_tickets"] for row in out["load"]} == {
        "ana": 1,
        "bo": 0,
        "cy": 0,
    }
    assert SupportTicket.objects.filter(assignee="").count() == 5


def test_different_load_gives_a_different_placement(desk, two_books, staff):
    _ticket(two_books["acme"], "bo's backlog", priority="high", assignee="bo")
    _ticket(two_books["acme"], "bo's backlog 2", priority="high", assignee="bo")
    out = call_tool(
        staff["csm1"], "route_tickets", {"action": "dry_run", "ticket_ids": [desk["u1"].pk]}
    )
    assert [(d["agent"], d["agent_load_before"]) for d in out["decisions"]] == [("ana", 1)]


def test_route_assigns_and_audits(desk, staff):
    out = call_tool(staff["csm1"], "route_tickets", {"action": "route"})
    assert out["assigned"] == 3
    assignees = dict(
        SupportTicket.objects.filter(pk__in=[t.pk for t in desk.values()]).values_list(
            "pk", "assignee"
        )
    )
    assert assignees[desk["u1"].pk] == "bo" and assignees[desk["bill"].pk] == "cy"
    assert assignees[desk["globex"].pk] == "" and assignees[desk["other"].pk] == ""
    load = call_tool(staff["csm1"], "route_tickets", {"action": "load"})["load"]
    assert {r["agent"]: r["open_tickets"] for r in load} == {"ana": 2, "bo": 1, "cy": 1}
    assert AuditEvent.objects.filter(action="routing_rule.create").count() == 2


def test_route_rule_bad_input_names_the_field_and_writes_nothing(desk, staff):
    with pytest.raises(InvalidInput) as err:
        call_tool(staff["manager"], "route_tickets", {"action": "create_rule", "name": "X"})
    assert err.value.details["errors"][0]["field"] == "agents"
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["manager"],
            "route_tickets",
            {"action": "create_rule", "name": "Urgent", "agents": ["z"]},
        )
    assert err.value.details["errors"][0]["field"] == "name"
    with pytest.raises(InvalidInput) as err:
        call_tool(staff["manager"], "route_tickets", {"action": "load", "rule_id": 3})
    assert err.value.details["errors"][0]["field"] == "rule_id"
    with pytest.raises(PermissionDenied):
        call_tool(
            staff["csm1"],
            "route_tickets",
            {"action": "create_rule", "name": "Mine", "agents": ["z"]},
        )
    assert TicketRoutingRule.objects.count() == 2


def test_knowledge_base_versions_search_rank_and_votes(staff):
    def kb(**p):
        return call_tool(staff["csm1"], "update_knowledge_base", p)

    first = kb(
        action="create",
        slug="reset-password",
        title="Reset a password",
        body="Open settings and choose reset.",
        status="published",
    )["article"]
    kb(
        action="create",
        slug="sso",
        title="Single sign-on",
        body="If SSO fails, an admin can reset the password of a user.",
        status="published",
    )
    kb(action="create", slug="draft", title="Password policy draft", body="Passwords.")
    changed = kb(action="update", article_id=first["id"], body="Open Settings → Security → Reset.")
    assert changed["changed"] == ["body", "version"] and changed["article"]["version"] == 2

    got = call_tool(
        staff["csm1"], "manage_knowledge_base", {"action": "get", "article_id": first["id"]}
    )
    assert [v["version"] for v in got["versions"]] == [2, 1]
    assert got["versions"][0]["author"] == "csm1"

    hits = call_tool(
        staff["csm1"], "manage_knowledge_base", {"action": "search", "query": "resetting passwords"}
    )
    # Stemming finds both; the title hit ranks first; the draft is not searched.
    assert [a["slug"] for a in hits["articles"]] == ["reset-password", "sso"]
    assert hits["articles"][0]["rank"] > hits["articles"][1]["rank"] > 0
    other = call_tool(
        staff["csm1"], "manage_knowledge_base", {"action": "search", "query": "sso admin"}
    )
    assert [a["slug"] for a in other["articles"]] == ["sso"]

    vote = {"action": "vote", "article_id": first["id"], "helpful": True}
    call_tool(staff["csm1"], "manage_knowledge_base", {**vote, "voter": "contact:1"})
    call_tool(staff["csm1"], "manage_knowledge_base", {**vote, "voter": "contact:2"})
    out = call_tool(
        staff["csm1"], "manage_knowledge_base", {**vote, "voter": "contact:2", "helpful": False}
    )
    assert out["articles"][0]["helpful_votes"] == 1 and out["articles"][0]["unhelpful_votes"] == 1
    assert out["articles"][0]["helpful_pct"] == 50.0


def test_knowledge_base_bad_input_writes_nothing(staff):
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["csm1"],
            "update_knowledge_base",
            {"action": "create", "slug": "Bad Slug", "title": "T", "body": "B"},
        )
    assert err.value.details["errors"][0]["field"] == "slug"
    call_tool(
        staff["csm1"],
        "update_knowledge_base",
        {"action": "create", "slug": "a", "title": "T", "body": "B"},
    )
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["csm1"],
            "update_knowledge_base",
            {"action": "create", "slug": "a", "title": "T2", "body": "B"},
        )
    assert err.value.details["errors"][0]["field"] == "slug"
    with pytest.raises(InvalidInput) as err:
        call_tool(staff["csm1"], "manage_knowledge_base", {"action": "search"})
    assert err.value.details["errors"][0]["field"] == "query"
    assert KnowledgeArticle.objects.count() == 1


def test_customer_portal_settings_per_account(two_books, staff):
    acme, globex = two_books["acme"], two_books["globex"]
    got = call_tool(
        staff["csm1"], "manage_customer_portal", {"action": "get", "account_id": acme.pk}
    )
    assert got["portal"]["configured"] is False and got["portal"]["enabled"] is False
    out = call_tool(
        staff["csm1"],
        "manage_customer_portal",
        {
            "action": "update",
            "account_id": acme.pk,
            "enabled": True,
            "subdomain": "acme",
            "allowed_email_domains": ["@Acme.test"],
        },
    )
    assert out["changed"] == ["allowed_email_domains", "enabled", "subdomain"]
    got = call_tool(
        staff["csm1"], "manage_customer_portal", {"action": "get", "account_id": acme.pk}
    )
    assert got["portal"]["configured"] and got["portal"]["allowed_email_domains"] == ["acme.test"]
    with pytest.raises(NotFound):
        call_tool(
            staff["csm1"], "manage_customer_portal", {"action": "get", "account_id": globex.pk}
        )
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["csm2"],
            "manage_customer_portal",
            {"action": "update", "account_id": globex.pk, "subdomain": "acme"},
        )
    assert err.value.details["errors"][0]["field"] == "subdomain"
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["csm2"],
            "manage_customer_portal",
            {"action": "update", "account_id": globex.pk, "allowed_email_domains": ["nodot"]},
        )
    assert err.value.details["errors"][0]["field"] == "allowed_email_domains"
    assert CustomerPortalSettings.objects.count() == 1


def _perf_tickets(account):
    now = clock.now()

    def t(priority, opened_h, first_m=None, resolved_h=None, csat=None):
        opened = now - timedelta(hours=opened_h)
        return SupportTicket.objects.create(
            account=account,
            subject="s",
            priority=priority,
            opened_at=opened,
            status="solved" if resolved_h is not None else "open",
            first_response_at=opened + timedelta(minutes=first_m) if first_m is not None else None,
            resolved_at=opened + timedelta(hours=resolved_h) if resolved_h is not None else None,
            satisfaction=csat,
        )

    t("high", 48, first_m=30, resolved_h=5, csat=5)
    t("high", 72, first_m=90, resolved_h=20, csat=2)
    t("high", 48)
    t("normal", 96, first_m=60, resolved_h=2, csat=4)


@pytest.mark.date_sensitive
def test_support_performance_from_tickets_and_the_stored_policy(two_books, staff):
    acme = two_books["acme"]
    _perf_tickets(acme)
    args = {"account_id": acme.pk, "weeks": 2}
    default = call_tool(staff["csm1"], "analyze_support_performance", args)
    high = next(p for p in default["sla_by_priority"] if p["priority"] == "high")
    assert high["policy_source"] == "default" and high["first_response_target_minutes"] == 240
    assert (high["first_response_met_pct"], high["resolution_met_pct"]) == (66.7, 66.7)

    SlaPolicy.objects.create(priority="high", first_response_minutes=60, resolution_minutes=600)
    out = call_tool(staff["csm1"], "analyze_support_performance", args)
    high = next(p for p in out["sla_by_priority"] if p["priority"] == "high")
    normal = next(p for p in out["sla_by_priority"] if p["priority"] == "normal")
    assert high["policy_source"] == "policy" and high["tickets"] == 3
    assert (high["first_response_met_pct"], high["resolution_met_pct"]) == (33.3, 33.3)
    assert (normal["first_response_met_pct"], normal["resolution_met_pct"]) == (100.0, 100.0)
    assert out["first_response_minutes"] == {"n": 3, "p50": 60.0, "p90": 84.0}
    assert out["resolution_hours"] == {"n": 3, "p50": 5.0, "p90": 17.0}
    assert out["csat"] == {"responses": 3, "average": 3.67, "satisfied_pct": 66.7}
    assert out["backlog"]["open"] == 1 and out["backlog"]["age_days_max"] == 2.0
    assert sum(w["opened"] for w in out["weekly"]) == 4 == out["tickets"]
    assert len(out["weekly"]) == 2


def test_new_tickets_take_their_targets_from_the_stored_policy(two_books, staff):
    SlaPolicy.objects.create(priority="urgent", first_response_minutes=15, resolution_minutes=120)
    out = call_tool(
        staff["csm1"],
        "handle_support_ticket",
        {
            "action": "create",
            "account_id": two_books["acme"].pk,
            "subject": "Down",
            "priority": "urgent",
        },
    )
    assert out["ticket"]["sla"]["first_response_target_minutes"] == 15


def test_knowledge_base_search_without_postgresql_counts_word_hits(staff, monkeypatch):
    from django.db import connection

    from integrations.selectors.support_desk import article_search

    def kb(slug, title, body):
        call_tool(
            staff["csm1"],
            "update_knowledge_base",
            {"action": "create", "slug": slug, "title": title, "body": body, "status": "published"},
        )

    kb("export", "Export reports", "Export any report to CSV.")
    kb("csv", "CSV files", "Open an export in a spreadsheet.")
    kb("sso", "Single sign-on", "Configure SAML.")
    monkeypatch.setattr(connection, "vendor", "sqlite")
    hits = article_search("export csv")
    # Every word must appear; a title hit counts 2, a body hit 1 (export: 2 + 1 + 1).
    assert [(h.article.slug, h.rank) for h in hits] == [("export", 4.0), ("csv", 3.0)]
