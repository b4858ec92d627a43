"""The real app under uvicorn on a free loopback port, in a thread of its own."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from clinic.app import create_app


@dataclass
class LiveServer:
    url: str
    app: object
    loop: asyncio.AbstractEventLoop

    def run(self, function, *args, **kwargs):
        """Run an async function (a factory, a service) on the server's own loop."""
        return asyncio.run_coroutine_threadsafe(function(*args, **kwargs), self.loop).result(timeout=60)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(settings):
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    loops: list[asyncio.AbstractEventLoop] = []

    def serve():
        loop = asyncio.new_event_loop()
        loops.append(loop)
        loop.run_until_complete(server.serve())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", app=app, loop=loops[0])
    finally:
        server.should_exit = True
        thread.join(timeout=10)
