"""班助: a WeChat class-group assistant for open universities (the core: nothing here imports wechaty except
bot/gateways/wechaty*.py)."""
