"""The web console (后台) for coordinators and admins: server-rendered pages over the same services as the chat.

`create_app(services)` (bot/web/app.py) builds the ASGI app; `python -m bot web` serves it, or `run` does when
`web.enabled`. Page modules (bot/web/pages) are parse -> service -> render, like the chat handlers: no SQL and no
rules here.
"""
