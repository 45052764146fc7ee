"""The SQL behind ``health_inputs_for_accounts`` (portable: PostgreSQL and SQLite).

Each CTE repeats the chunk's id filter on its own table (``{ids_u}`` …), so for a chunk
PostgreSQL walks each table's ``(account_id, …)`` index for exactly those accounts instead
of hashing a date range of the whole table; for the whole portfolio the filters are TRUE.
Constants (``{nps}``, ``{renewal_closed}`` …) are filled in from the enums that define
them (``health_inputs._LITERALS``); none is typed here. Per-account lookups that need only
one row (the latest plan, the covering contract, the open renewal) use ROW_NUMBER windows
over the chunk's rows rather than a correlated query per account.
"""

INPUTS_SQL = """
WITH acc AS (
    SELECT a.id, a.seats_licensed, a.payment_status, a.customer_since, a.updated_at,
           CASE WHEN a.zendesk_org_id IS NOT NULL OR a.intercom_company_id IS NOT NULL
                THEN 1 ELSE 0 END AS helpdesk_mapped
    FROM customers_account a
    WHERE {account_filter}
),
usage AS (
    SELECT u.account_id,
           SUM(CASE WHEN u.date >= %(usage_last_start)s THEN u.active_users ELSE 0 END)
               AS users_last,
           SUM(CASE WHEN u.date < %(usage_last_start)s THEN u.active_users ELSE 0 END)
               AS users_prev,
           COUNT(CASE WHEN u.date >= %(usage_last_start)s THEN 1 END) AS days_last,
           COUNT(CASE WHEN u.date < %(usage_last_start)s THEN 1 END) AS days_prev,
           MAX(CASE WHEN u.date >= %(usage_last_start)s THEN u.active_users END)
               AS peak_users_last,
           MAX(u.date) AS usage_last_date,
           MAX(CASE WHEN u.active_users > 0 THEN u.date END) AS usage_last_active
    FROM health_usagedaily u
    WHERE {ids_u} AND u.date >= %(usage_prev_start)s AND u.date <= %(day)s
    GROUP BY u.account_id
),
tickets AS (
    SELECT t.account_id,
           COUNT(CASE WHEN t.opened_at > %(tickets_since)s THEN 1 END) AS tickets_90d,
           COUNT(CASE WHEN t.opened_at > %(tickets_since)s AND t.priority IN ({severe})
                      THEN 1 END) AS severe_90d,
           COUNT(CASE WHEN t.opened_at > %(tickets_since)s AND t.sla_breached
                      THEN 1 END) AS breaches_90d,
           COUNT(CASE WHEN t.sla_first_response_minutes IS NOT NULL
                        OR t.sla_resolution_minutes IS NOT NULL OR t.sla_breached
                      THEN 1 END) AS sla_tracked_n,
           SUM(t.satisfaction) AS ticket_csat_sum,
           COUNT(t.satisfaction) AS ticket_csat_n,
           MAX(CASE WHEN t.satisfaction IS NOT NULL THEN t.opened_at END) AS ticket_csat_last,
           MAX(CASE WHEN t.opened_at > %(tickets_since)s THEN t.opened_at END)
               AS tickets_last_opened
    FROM integrations_supportticket t
    WHERE {ids_t} AND t.opened_at > %(answers_since)s AND t.opened_at <= %(as_of)s
    GROUP BY t.account_id
),
open_severe AS (
    SELECT t.account_id, COUNT(*) AS open_severe
    FROM integrations_supportticket t
    WHERE {ids_t} AND t.opened_at <= %(as_of)s AND t.priority IN ({severe})
      AND ((t.resolved_at IS NULL AND t.status IN ({open_statuses}))
           OR t.resolved_at > %(as_of)s)
    GROUP BY t.account_id
),
answers AS (
    SELECT s.account_id,
           SUM(CASE WHEN s.kind = {nps} THEN s.score END) AS nps_sum,
           COUNT(CASE WHEN s.kind = {nps} THEN 1 END) AS nps_n,
           MAX(CASE WHEN s.kind = {nps} THEN s.responded_at END) AS nps_last,
           SUM(CASE WHEN s.kind = {csat} THEN s.score END) AS csat_sum,
           COUNT(CASE WHEN s.kind = {csat} THEN 1 END) AS csat_n,
           MAX(CASE WHEN s.kind = {csat} THEN s.responded_at END) AS csat_last
    FROM health_surveyresponse s
    WHERE {ids_s} AND s.responded_at > %(answers_since)s AND s.responded_at <= %(as_of)s
      AND s.kind IN ({nps}, {csat})
    GROUP BY s.account_id
),
activity AS (
    SELECT x.account_id, MAX(x.occurred_at) AS last_activity
    FROM customers_activity x
    WHERE {ids_x} AND x.occurred_at <= %(as_of)s
    GROUP BY x.account_id
),
features AS (
    SELECT fa.account_id,
           COUNT(CASE WHEN fa.last_used_on >= %(usage_last_start)s AND f.is_tracked
                      THEN 1 END) AS features_30d,
           MAX(fa.last_used_on) AS features_last_used
    FROM health_featureadoption fa
    JOIN health_feature f ON f.id = fa.feature_id
    WHERE {ids_fa} AND fa.first_used_on <= %(day)s
    GROUP BY fa.account_id
),
contract_pick AS (
    SELECT c.account_id, c.seats, c.end_date,
           ROW_NUMBER() OVER (PARTITION BY c.account_id ORDER BY c.start_date DESC, c.id DESC)
               AS rn
    FROM customers_contract c
    WHERE {ids_c} AND c.start_date <= %(day)s AND c.end_date >= %(day)s
      AND c.status IN ({contract_in_force})
),
renewal_pick AS (
    SELECT r.account_id, r.renewal_date,
           ROW_NUMBER() OVER (PARTITION BY r.account_id ORDER BY r.renewal_date, r.id) AS rn
    FROM customers_renewal r
    WHERE {ids_r} AND (r.stage <> {renewal_closed} OR r.closed_on > %(day)s)
),
plan_pick AS (
    SELECT p.account_id, p.id AS plan_id,
           CASE WHEN p.status = {plan_completed} AND p.completed_on IS NOT NULL
                     AND p.completed_on <= %(day)s THEN 1 ELSE 0 END AS plan_completed,
           p.completed_on AS plan_completed_on,
           ROW_NUMBER() OVER (PARTITION BY p.account_id ORDER BY p.created_at DESC, p.id DESC)
               AS rn
    FROM customers_onboardingplan p
    WHERE {ids_p} AND ((p.started_on IS NOT NULL AND p.started_on <= %(day)s)
       OR (p.started_on IS NULL AND p.created_at <= %(as_of)s))
),
plan_progress AS MATERIALIZED (
    SELECT m.plan_id,
           COUNT(CASE WHEN m.status <> {milestone_skipped} THEN 1 END) AS milestones_total,
           COUNT(CASE WHEN m.status = {milestone_done} AND m.completed_at <= %(as_of)s THEN 1 END)
               AS milestones_done,
           MAX(CASE WHEN m.status = {milestone_done} AND m.completed_at <= %(as_of)s
                    THEN m.completed_at END) AS milestone_last_done
    FROM customers_onboardingmilestone m
    JOIN plan_pick pp ON pp.plan_id = m.plan_id AND pp.rn = 1
    GROUP BY m.plan_id
)
SELECT acc.id AS account_id,
       acc.seats_licensed AS account_seats,
       acc.payment_status,
       acc.customer_since,
       acc.updated_at AS account_updated_at,
       usage.users_last, usage.users_prev, usage.days_last, usage.days_prev,
       usage.peak_users_last, usage.usage_last_date,
       COALESCE(usage.usage_last_active, (
           SELECT MAX(u2.date) FROM health_usagedaily u2
           WHERE u2.account_id = acc.id AND u2.date < %(usage_prev_start)s
             AND u2.active_users > 0
       )) AS usage_last_active,
       CASE WHEN acc.helpdesk_mapped = 1 THEN 1
            WHEN tickets.account_id IS NOT NULL THEN 1
            WHEN EXISTS (SELECT 1 FROM integrations_supportticket t2
                         WHERE t2.account_id = acc.id AND t2.opened_at <= %(as_of)s) THEN 1
            ELSE 0 END AS support_known,
       tickets.tickets_90d, tickets.severe_90d, tickets.breaches_90d, tickets.sla_tracked_n,
       tickets.ticket_csat_sum, tickets.ticket_csat_n, tickets.ticket_csat_last,
       tickets.tickets_last_opened,
       open_severe.open_severe,
       answers.nps_sum, answers.nps_n, answers.nps_last,
       answers.csat_sum, answers.csat_n, answers.csat_last,
       activity.last_activity,
       features.features_30d, features.features_last_used,
       (SELECT COUNT(*) FROM health_feature f2 WHERE f2.is_tracked) AS tracked_features,
       contract_pick.seats AS contract_seats, contract_pick.end_date AS contract_end,
       renewal_pick.renewal_date,
       plan_pick.plan_id, plan_pick.plan_completed, plan_pick.plan_completed_on,
       plan_progress.milestones_total, plan_progress.milestones_done,
       plan_progress.milestone_last_done
FROM acc
LEFT JOIN usage ON usage.account_id = acc.id
LEFT JOIN tickets ON tickets.account_id = acc.id
LEFT JOIN open_severe ON open_severe.account_id = acc.id
LEFT JOIN answers ON answers.account_id = acc.id
LEFT JOIN activity ON activity.account_id = acc.id
LEFT JOIN features ON features.account_id = acc.id
LEFT JOIN contract_pick ON contract_pick.account_id = acc.id AND contract_pick.rn = 1
LEFT JOIN renewal_pick ON renewal_pick.account_id = acc.id AND renewal_pick.rn = 1
LEFT JOIN plan_pick ON plan_pick.account_id = acc.id AND plan_pick.rn = 1
LEFT JOIN plan_progress ON plan_progress.plan_id = plan_pick.plan_id
ORDER BY acc.id
"""
