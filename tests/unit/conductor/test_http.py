"""The Conductor component's HTTP pool, against a real local server that never answers."""

from __future__ import annotations

import asyncio

from components.conductor._http import HttpPool


async def test_a_request_given_up_on_closes_its_connection() -> None:
    arrived, closed = asyncio.Event(), asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        arrived.set()  # the request is in; no answer ever goes back
        await reader.read()  # returns once the client closes its side
        closed.set()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    pool = HttpPool(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", timeout=60)
    try:
        request = asyncio.ensure_future(pool.request("GET", "/health", headers={}))
        await asyncio.wait_for(arrived.wait(), 30)
        request.cancel()  # as a caller's own timeout does
        await asyncio.wait_for(closed.wait(), 30)
        assert request.cancelled()
    finally:
        await pool.aclose()
        server.close()
        await server.wait_closed()
