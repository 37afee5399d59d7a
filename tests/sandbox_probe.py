"""A sandbox task for the tests: does what a hostile file could make a parser do (spin, allocate, connect, fork)."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path


def work(request: dict, folder: Path) -> tuple[dict, bytes]:
    """``request["do"]``: "echo", "spin", "sleep", "allocate", "connect", "fork", "exec", "thread", "write",
    "abort"."""
    do = request["do"]
    if do == "echo":
        return {"pid": os.getpid(), "value": request.get("value")}, b"\x00\x01bytes"
    if do == "spin":
        (folder / "started").write_text(str(os.getpid()))
        while True:
            pass
    if do == "sleep":
        (folder / "started").write_text(str(os.getpid()))
        time.sleep(3600)
    if do == "allocate":
        blocks = []
        while True:
            blocks.append(bytearray(64 * 1024 * 1024))
    if do == "connect":
        try:
            s = socket.create_connection(("127.0.0.1", int(request["port"])), timeout=2)
            s.sendall(b"GET /leak HTTP/1.0\r\n\r\n")
            s.close()
            return {"connected": True}, b""
        except OSError as exc:
            return {"connected": False, "errno": exc.errno}, b""
    if do == "fork":
        try:
            pid = os.fork()
        except OSError as exc:
            return {"forked": False, "errno": exc.errno}, b""
        if pid == 0:
            os._exit(0)
        return {"forked": True}, b""
    if do == "exec":
        try:
            os.execv("/bin/true", ["/bin/true"])
        except OSError as exc:
            return {"exec": False, "errno": exc.errno}, b""
    if do == "thread":
        import threading

        box = []
        t = threading.Thread(target=lambda: box.append(41 + 1))
        t.start()
        t.join()
        return {"thread": box[0]}, b""
    if do == "write":
        try:
            (folder / "big").write_bytes(b"x" * int(request["size"]))
            return {"written": True}, b""
        except OSError as exc:
            return {"written": False, "errno": exc.errno}, b""
    if do == "abort":
        os.write(2, b"probe aborting\n")
        os.abort()
    raise ValueError(do)
