"""A minimal keep-alive HTTP/1.1 client for the benchmarks.

The load generator is this client rather than httpx: on the 2-core machine httpx's async
client costs about 2 ms a request and tops out near 500 requests/s, below what the gateway
serves, so a benchmark through it would measure httpx.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any


class Connection:
    """One keep-alive HTTP/1.1 connection, one request at a time.

    The load generator is this minimal client rather than httpx: on this machine httpx's async
    client tops out near 500 requests/s, below what the gateway serves, so it would measure
    itself. The gateway always answers with a ``content-length``, which is all this reads.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, url: str) -> Connection:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        return cls(reader, writer)

    async def request(self, method: str, target: str, body: Any = None) -> tuple[int, Any]:
        """Send one request; returns the status and the decoded JSON body (``None`` if empty)."""
        payload = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {target} HTTP/1.1\r\nHost: bench\r\ncontent-length: {len(payload)}\r\n"
        if payload:
            head += "content-type: application/json\r\n"
        self._writer.write(head.encode() + b"\r\n" + payload)
        status_line, *header_lines = (await self._reader.readuntil(b"\r\n\r\n")).decode().split("\r\n")
        length = 0
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding":
                raise RuntimeError(f"unexpected transfer-encoding {value.strip()}")
        data = await self._reader.readexactly(length) if length else b""
        return int(status_line.split()[1]), json.loads(data) if data else None

    async def get(self, target: str) -> Any:
        status, body = await self.request("GET", target)
        if status != 200:
            raise RuntimeError(f"GET {target}: {status} {body}")
        return body

    def close(self) -> None:
        self._writer.close()
