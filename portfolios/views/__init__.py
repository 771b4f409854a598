"""Portfolios' pages: `publish` and `manage` for the people who publish and
manage, `public` for the published sites (the API is portfolios.api; the
status page is monitoring's)."""
