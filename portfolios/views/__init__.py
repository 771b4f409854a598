"""Portfolios' pages: `pages` for people who publish and manage, `public` for
the published sites and the status page (the API is in portfolios.api)."""
