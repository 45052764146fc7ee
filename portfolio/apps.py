from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    """The top layer: what combines every app — the account 360 (page, overview, timeline),
    the portfolio list and the demo portfolio seed."""

    name = "portfolio"
    verbose_name = "Portfolio"
