from django.apps import AppConfig


class PortfoliosConfig(AppConfig):
    name = "portfolios"
    verbose_name = "Portfolios"

    def ready(self) -> None:
        # Imported here: models cannot be imported before the apps are loaded.
        from quotas import policy

        from .models import Portfolio

        # A visitor with a portfolio is a returning one (SPEC E-5); quotas
        # asks through this check and imports no portfolios code.
        def has_a_portfolio(user, client: str) -> bool:
            return Portfolio.objects.counted_against(user=user, client=client).exists()

        policy.register_returning_check(has_a_portfolio)
