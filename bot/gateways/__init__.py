"""Gateways carry messages between a chat platform and the core. Only wechaty.py imports wechaty."""
