"""One listing across several components: their pages merged, newest first.

Each component lists its own instances newest first and pages with its own opaque token.
The merged listing keeps, per component, a cursor ``(token, skip)``: "the component's page
at ``token`` (fetched with the page size ``size`` recorded in the merged token), minus its
first ``skip`` instances". A merged page takes up to ``page_size`` candidates from each
component's cursor (reading on into its next page when needed), keeps the newest
``page_size`` of them, and advances each cursor by what it gave. Every instance is returned
exactly once as long as the components' own listings are stable, whatever their order.

A component that fails (down, or unable to apply a filter) is reported once, with its
problem, and left out of the following pages.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from contracts import InstancePage, InstanceState

TOKEN_PREFIX = "m1."

#: fetches one page of one component: (component, token, size) -> page
Fetch = Callable[[str, str | None, int], Awaitable[InstancePage]]


class BadToken(ValueError):
    """A continuation token this gateway did not issue."""


@dataclass(slots=True)
class Cursor:
    token: str | None = None
    skip: int = 0


@dataclass(frozen=True, slots=True)
class MergedPage:
    """The merged page: ``(component, state)`` pairs and the token of the next page."""

    instances: Sequence[tuple[str, InstanceState]]
    continuation_token: str | None
    failures: Sequence[tuple[str, Exception]] = field(default_factory=tuple)


async def merged_page(
    components: Sequence[str], page_size: int, token: str | None, fetch: Fetch
) -> MergedPage:
    """The next ``page_size`` instances across ``components`` (all of them on the first page)."""
    if token:
        size, cursors = decode_token(token)
        cursors = {name: cursor for name, cursor in cursors.items() if name in components}
    else:
        size, cursors = page_size, {name: Cursor() for name in components}
    candidates: list[tuple[str, int, InstanceState]] = []
    pages: dict[str, list[tuple[str | None, InstancePage]]] = {}
    failures: list[tuple[str, Exception]] = []
    for name, cursor in cursors.items():
        try:
            pages[name] = await _read_ahead(name, cursor, size, page_size, fetch)
        except Exception as exc:  # reported per component; the others still answer
            failures.append((name, exc))
            continue
        position = 0
        for index, (_, page) in enumerate(pages[name]):
            start = cursor.skip if index == 0 else 0
            for state in page.instances[start:]:
                candidates.append((name, position, state))
                position += 1
    candidates.sort(key=lambda item: (item[2].created_at, item[0], item[2].instance_id), reverse=True)
    taken = candidates[:page_size]
    given = {name: 0 for name in pages}
    for name, _, _ in taken:
        given[name] += 1
    following = {
        name: moved
        for name, read in pages.items()
        if (moved := _advance(cursors[name], read, given[name])) is not None
    }
    return MergedPage(
        instances=[(name, state) for name, _, state in taken],
        continuation_token=encode_token(size, following) if following else None,
        failures=failures,
    )


async def _read_ahead(
    name: str, cursor: Cursor, size: int, wanted: int, fetch: Fetch
) -> list[tuple[str | None, InstancePage]]:
    """Pages from the cursor on until ``wanted`` instances past the skip are read (or the end)."""
    read: list[tuple[str | None, InstancePage]] = []
    token = cursor.token
    available = -cursor.skip
    while True:
        page = await fetch(name, token, size)
        read.append((token, page))
        available += len(page.instances)
        token = page.continuation_token
        if available >= wanted or not token or not page.instances:
            return read


def _advance(cursor: Cursor, read: list[tuple[str | None, InstancePage]], given: int) -> Cursor | None:
    """The cursor after giving ``given`` instances; ``None`` when the component is exhausted."""
    remaining = cursor.skip + given
    for token, page in read:
        if remaining < len(page.instances):
            return Cursor(token, remaining)
        remaining -= len(page.instances)
    last = read[-1][1].continuation_token
    return Cursor(last, 0) if last and read[-1][1].instances else None


def encode_token(size: int, cursors: dict[str, Cursor]) -> str:
    body = {"n": size, "c": {name: [cursor.token, cursor.skip] for name, cursor in cursors.items()}}
    text = json.dumps(body, separators=(",", ":")).encode()
    return TOKEN_PREFIX + base64.urlsafe_b64encode(text).decode().rstrip("=")


def decode_token(token: str) -> tuple[int, dict[str, Cursor]]:
    body = token.removeprefix(TOKEN_PREFIX)
    try:
        if body == token:
            raise ValueError("no prefix")
        decoded = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        size = int(decoded["n"])
        cursors = {
            str(name): Cursor(None if tok is None else str(tok), int(skip))
            for name, (tok, skip) in decoded["c"].items()
        }
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadToken(f"continuation token {token!r} is not one this gateway issued") from exc
    if not 1 <= size <= 1000 or any(cursor.skip < 0 for cursor in cursors.values()):
        raise BadToken(f"continuation token {token!r} is not one this gateway issued")
    return size, cursors
