"""Notices: publish, fan out, credit 收到, nudge, and report who is missing (service.py owns the rules)."""
