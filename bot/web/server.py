"""Serving the console with uvicorn: on its own (`python -m bot web`), or as a task in the bot's event loop (`run`
with `web.enabled`), where the bot keeps its own signal handling."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import uvicorn

from bot.services import Services
from bot.web.app import create_app

log = logging.getLogger("banzhu.web")


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves SIGINT/SIGTERM to whoever runs the loop (the bot's Runner, a test)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def server(services: Services, host: str, port: int, *, embedded: bool = False) -> uvicorn.Server:
    """A uvicorn server for the console. No access log: a login link's token is in its path."""
    config = uvicorn.Config(create_app(services), host=host, port=port, access_log=False, log_level="warning",
                            proxy_headers=True, server_header=False, lifespan="off")
    return EmbeddedServer(config) if embedded else uvicorn.Server(config)


async def started(web: uvicorn.Server) -> None:
    """Bind and start listening (as serve() does first), so the caller knows the console answers from now on;
    then `await web.main_loop()` serves and `await web.shutdown()` stops."""
    config = web.config
    if not config.loaded:
        config.load()
    web.lifespan = config.lifespan_class(config)
    await web.startup()
