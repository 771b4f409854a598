"""A small TCP forwarder: `python tests/deploy/forward.py LISTEN=TARGET ...`.

Each LISTEN and TARGET is host:port. The test network's hosts reach PostgreSQL and
Redis, which listen on 127.0.0.1 only, through the bridge's address. Prints
"ready" once every listener is bound; SIGTERM stops it (open connections close).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError, asyncio.CancelledError):
        pass  # a side closed, or the forwarder stops: the other side closes too
    finally:
        with contextlib.suppress(Exception):
            writer.close()


def handler(target_host: str, target_port: int):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(target_host, target_port)
        except OSError:
            writer.close()
            return
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    return handle


def split(hostport: str) -> tuple[str, int]:
    host, _, port = hostport.rpartition(":")
    return host, int(port)


async def main(pairs: list[str]) -> None:
    servers = []
    for pair in pairs:
        listen, _, target = pair.partition("=")
        lhost, lport = split(listen)
        servers.append(await asyncio.start_server(handler(*split(target)), lhost, lport))
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for server in servers:
        server.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
