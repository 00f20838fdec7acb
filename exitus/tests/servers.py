"""A real ASGI server for tests: uvicorn in a thread on a free loopback port."""

import contextlib
import socket
import threading
import time


@contextlib.contextmanager
def uvicorn_on_loopback(app):
    """Serve ``app`` with uvicorn on 127.0.0.1; yields the base URL. Each ASGI request runs its sync
    code in a short-lived thread, so persistent database connections (CONN_MAX_AGE) would outlive
    it: they are closed per request while the server runs."""
    import uvicorn
    from django.db import connections

    saved = connections.settings["default"].get("CONN_MAX_AGE", 0)
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        connections.settings["default"]["CONN_MAX_AGE"] = saved
