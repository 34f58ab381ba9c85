"""Temporal payloads <-> the JSON text that crosses the component contract.

Flowport passes workflow input, event data and output as JSON text. Temporal's default data
converter stores JSON values as ``json/plain`` payloads whose data *is* that text, so both
directions copy bytes instead of decoding and re-encoding values.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence

from temporalio.api.common.v1 import Payload, Payloads

_ENCODING = "encoding"
_JSON_ENCODINGS = (b"json/plain", b"json/protobuf")


def json_payloads(serialized: str | None) -> Payloads | None:
    """One ``json/plain`` payload carrying ``serialized``, or no payloads when it is absent.

    Absent input means the workflow (or signal handler) is called with no argument at all,
    so its parameter default applies; ``"null"`` passes ``None``.
    """
    if serialized is None:
        return None
    return Payloads(payloads=[Payload(metadata={_ENCODING: b"json/plain"}, data=serialized.encode())])


def payload_json(payload: Payload) -> str:
    """A payload as JSON text.

    JSON encodings are copied as they are; ``binary/null`` is ``null``; raw bytes become a JSON
    string of their base64. Any other encoding (say, an encrypting codec's) cannot be read
    without the user's codec, so it is described rather than guessed at.
    """
    encoding = payload.metadata.get(_ENCODING, b"")
    if encoding in _JSON_ENCODINGS:
        return payload.data.decode()
    if encoding == b"binary/null":
        return "null"
    if encoding == b"binary/plain":
        return json.dumps(base64.b64encode(payload.data).decode())
    return json.dumps(
        {"encoding": encoding.decode(errors="replace"), "base64": base64.b64encode(payload.data).decode()}
    )


def payloads_json(payloads: Sequence[Payload]) -> str | None:
    """Temporal's argument list as one Dapr value: none is absent, one is itself, more an array."""
    if not payloads:
        return None
    if len(payloads) == 1:
        return payload_json(payloads[0])
    return "[" + ",".join(payload_json(payload) for payload in payloads) + "]"
