"""Signed provider webhooks into the idempotent inbox (``WebhookEvent``).

``verify`` checks signatures (pure), ``parse`` turns a verified body into inbox items
(pure), ``inbox`` stores each item once and applies it, ``views`` is the HTTP edge.
"""
