"""Synthetic portfolio for the health benchmark, generated in SQL (generate_series).

Per account: a contract and an open renewal (30 % also a closed past renewal), 180 days
of usage (every fifth account declining over its last 60 days), ~3 tickets, an NPS answer
(and a CSAT answer for half), 2 activities, feature adoption rows, and for one account in
ten an onboarding plan with 5 milestones. Values vary with the account id so scores
spread over every band, and seats and daily usage carry deterministic per-account and
per-day noise (``hashint4``/``hashint8``) so that inputs take as many distinct values as a
real portfolio's: the scorer memoises per value, and a seed where few values recur would
flatter it.
"""

from __future__ import annotations

SEED_STATEMENTS = [
    # accounts lo..hi with fixed ids
    """
    INSERT INTO customers_account (id, name, domain, tier, industry, region, lifecycle_stage,
        status, arr, currency, seats_licensed, payment_status, customer_since, zendesk_org_id,
        notes, created_at, updated_at)
    SELECT i, 'Bench ' || i, NULL,
           (ARRAY['enterprise','mid_market','smb','startup'])[1 + i %% 4], 'software', '',
           'adoption', 'active', 10000 + (i %% 50) * 1000, 'USD', 20 + abs(hashint4(i)) %% 480,
           CASE i %% 20 WHEN 0 THEN 'late' WHEN 1 THEN 'delinquent' WHEN 2 THEN 'unknown'
                ELSE 'current' END,
           %(today)s::date - (400 + i %% 700),
           CASE WHEN i %% 3 <> 0 THEN 'z' || i END, '', now(), now()
    FROM generate_series(%(lo)s::int, %(hi)s::int) AS i
    """,
    """
    INSERT INTO customers_contract (name, product, start_date, end_date, arr, currency, seats,
        status, auto_renew, created_at, account_id)
    SELECT 'Subscription', '', %(today)s::date - (30 + i %% 300), %(today)s::date + 335 - i %% 300,
           10000 + (i %% 50) * 1000, 'USD', 20 + abs(hashint4(i)) %% 480, 'active', false,
           now(), i
    FROM generate_series(%(lo)s::int, %(hi)s::int) AS i
    """,
    """
    INSERT INTO customers_renewal (renewal_date, current_arr, currency, forecast_category,
        stage, notes, probability_override_reason, proposal_status, proposal_reason,
        created_at, account_id)
    SELECT %(today)s::date + 335 - i %% 300, 10000 + (i %% 50) * 1000, 'USD', 'pipeline',
           'upcoming', '', '', '', '', now(), i
    FROM generate_series(%(lo)s::int, %(hi)s::int) AS i
    """,
    """
    INSERT INTO customers_renewal (renewal_date, current_arr, currency, forecast_category,
        stage, outcome, closed_on, notes, probability_override_reason, proposal_status,
        proposal_reason, created_at, account_id)
    SELECT %(today)s::date - (30 + i %% 300), 10000, 'USD', 'commit', 'closed',
           CASE WHEN i %% 5 = 0 THEN 'churned' ELSE 'renewed' END,
           %(today)s::date - (30 + i %% 300), '', '', '', '', now(), i
    FROM generate_series(%(lo)s::int, %(hi)s::int) AS i WHERE i %% 10 < 3
    """,
    """
    INSERT INTO health_usagedaily (date, active_users, sessions, events, minutes, source,
        account_id)
    SELECT %(today)s::date - d, u, u * 2, u * 10, u * 15, 'seed', i
    FROM generate_series(%(lo)s::int, %(hi)s::int) AS i
    CROSS JOIN generate_series(0, 179) AS d
    CROSS JOIN LATERAL (
        SELECT GREATEST(0, ((base + abs(hashint8(i::bigint * 1000 + d)) %% (1 + base / 3))
               * CASE WHEN i %% 5 = 0 AND d < 60 THEN (40 + d) / 100.0 ELSE 1 END)::int) AS u
        FROM (SELECT 5 + abs(hashint4(i)) %% 150 AS base) b
    ) usage
    """,
    """
    INSERT INTO integrations_supportticket (subject, description, status, priority, channel,
        assignee, tags, opened_at, resolved_at, sla_first_response_minutes, sla_breached,
        satisfaction, mirror_status, mirror_error, created_at, updated_at, account_id)
    SELECT 'Ticket ' || k, '', CASE WHEN age < 10 THEN 'open' ELSE 'solved' END,
           CASE (i + k) %% 10 WHEN 0 THEN 'urgent' WHEN 1 THEN 'high'
                WHEN 2 THEN 'normal' WHEN 3 THEN 'normal' ELSE 'low' END,
           'web', '', '[]'::jsonb, now() - make_interval(days => age),
           CASE WHEN age >= 10 THEN now() - make_interval(days => age - 1) END,
           60, (i + k) %% 13 = 0,
           CASE WHEN age >= 10 AND (i + k) %% 2 = 0 THEN 1 + (i + k) %% 5 END,
           '', '', now(), now(), i
    FROM generate_series(%(lo)s::int, %(hi)s::int) AS i
    CROSS JOIN generate_series(1, 3) AS k
    CROSS JOIN LATERAL (SELECT (i * k * 37) %% 180 AS age) a
    """,
    """
    INSERT INTO health_surveyresponse (kind, score, comment, responded_at, source, account_id,
        survey_id)
    SELECT 'nps', (i * 3) %% 11, '', now() - make_interval(days => (i * 17) %% 170), 'seed', i,
           (SELECT id FROM health_survey WHERE key = 'bench-nps')
    FROM generate_series(%(lo)s::int, %(hi)s::int) AS i
    UNION ALL
    SELECT 'csat', 1 + i %% 5, '', now() - make_interval(days => (i * 13) %% 170), 'seed', i,
           (SELECT id FROM health_survey WHERE key = 'bench-csat')
    FROM generate_series(%(lo)s::int, %(hi)s::int) AS i WHERE i %% 2 = 0
    """,
    """
    INSERT INTO customers_activity (kind, occurred_at, subject, body, attendees, outcomes,
        account_id)
    SELECT 'call', now() - make_interval(days => (i * k * 11) %% 90), 'Check-in', '',
           '[]'::jsonb, '[]'::jsonb, i
    FROM generate_series(%(lo)s::int, %(hi)s::int) AS i CROSS JOIN generate_series(1, 2) AS k
    """,
    """
    INSERT INTO health_featureadoption (first_used_on, last_used_on, events_total,
        users_last_30d, account_id, feature_id)
    SELECT %(today)s::date - 300, %(today)s::date - (i + k) %% 60, 100, 5, i, f.id
    FROM generate_series(%(lo)s::int, %(hi)s::int) AS i
    CROSS JOIN generate_series(1, 8) AS k
    JOIN health_feature f ON f.key = 'bench-feature-' || k
    WHERE k <= 1 + i %% 8
    """,
    """
    INSERT INTO customers_onboardingplan (template, status, started_on, automation_enabled,
        remind_days_before, escalate_days_overdue, created_at, account_id)
    SELECT 'standard', 'in_progress', %(today)s::date - 40, false, 3, 2, now(), i
    FROM generate_series(%(lo)s::int, %(hi)s::int) AS i WHERE i %% 10 = 0
    """,
    """
    INSERT INTO customers_onboardingmilestone (key, name, position, status, completed_at,
        plan_id)
    SELECT 'step-' || k, 'Step ' || k, k,
           CASE WHEN k <= p.account_id %% 6 THEN 'done' ELSE 'pending' END,
           CASE WHEN k <= p.account_id %% 6 THEN now() - make_interval(days => 30 - k) END,
           p.id
    FROM customers_onboardingplan p CROSS JOIN generate_series(1, 5) AS k
    WHERE p.account_id BETWEEN %(lo)s::int AND %(hi)s::int
    """,
]

CATALOGUE_STATEMENTS = [
    """
    INSERT INTO health_survey (key, name, kind, question, is_active) VALUES
        ('bench-nps', 'NPS', 'nps', 'Recommend us?', true),
        ('bench-csat', 'CSAT', 'csat', 'Satisfied?', true)
    ON CONFLICT DO NOTHING
    """,
    """
    INSERT INTO health_feature (key, name, category, is_tracked)
    SELECT 'bench-feature-' || k, 'Feature ' || k, 'core', true FROM generate_series(1, 20) k
    ON CONFLICT DO NOTHING
    """,
]

COUNT_TABLES = (
    "customers_account",
    "health_usagedaily",
    "integrations_supportticket",
    "health_surveyresponse",
    "customers_activity",
    "health_featureadoption",
    "customers_renewal",
    "customers_onboardingmilestone",
)
