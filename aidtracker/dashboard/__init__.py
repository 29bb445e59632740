"""Dashboards: what needs attention today, and where the aid went, for each role."""
