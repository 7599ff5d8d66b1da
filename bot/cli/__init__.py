"""Command line: `python -m bot <command>` (bot/cli/main.py), one module per command group, each calling the same
services as the chat."""
