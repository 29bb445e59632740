"""Administrators manage user accounts and read the security log."""
