"""Metadata parsing and TLS material: no server involved."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.service import TLSConfig

from components.temporal import TemporalComponent
from components.temporal._metadata import connection_settings, parse_duration
from contracts import ComponentConfigError, ComponentSpec

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def spec(tmp_path: Path | None = None, **metadata: str) -> ComponentSpec:
    return ComponentSpec(
        name="t",
        type="workflow.temporal",
        metadata=metadata,
        source="components.yaml",
        base_dir=tmp_path or Path.cwd(),
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5s", 5), ("500ms", 0.5), ("1m30s", 90), ("2h", 7200), ("1.5", 1.5), ("0s", 0), ("250us", 0.00025)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "5 s", "s5", "-1s", "1d", "5s junk"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|negative"):
        parse_duration(text)


def test_defaults() -> None:
    settings = connection_settings(spec())
    assert settings.target_host == "localhost:7233"
    assert settings.namespace == "default"
    assert settings.default_task_queue is None
    assert settings.tls is None
    assert settings.api_key is None
    assert settings.connect_timeout == timedelta(seconds=5)
    assert settings.rpc_timeout == timedelta(seconds=10)


def test_names_are_case_insensitive() -> None:
    settings = connection_settings(
        spec(HOSTPORT="temporal:7233", TaskQueue="orders", APIKEY="k", rpctimeout="750ms", Tls="true")
    )
    assert settings.target_host == "temporal:7233"
    assert settings.default_task_queue == "orders"
    assert settings.api_key == "k"
    assert settings.rpc_timeout == timedelta(milliseconds=750)
    assert settings.tls is True


@pytest.mark.parametrize(
    ("metadata", "field", "words"),
    [
        ({"hostAndPort": "x"}, "spec.metadata.hostAndPort", "known"),
        ({"hostport": "nohost"}, "spec.metadata.hostport", "host:port"),
        ({"hostport": "h:port"}, "spec.metadata.hostport", "host:port"),
        ({"rpcTimeout": "soon"}, "spec.metadata.rpcTimeout", "duration"),
        ({"connectTimeout": "0s"}, "spec.metadata.connectTimeout", "longer than zero"),
        ({"taskQueue": " "}, "spec.metadata.taskQueue", "empty"),
        ({"tls": "maybe"}, "spec.metadata.tls", "bool"),
        ({"tlsClientCert": PEM}, "spec.metadata.tlsClientKey", "together"),
        ({"tls": "false", "tlsCaCert": PEM}, "spec.metadata.tls", "tls is false"),
    ],
)
def test_bad_metadata_names_the_field(metadata: dict[str, str], field: str, words: str) -> None:
    with pytest.raises(ComponentConfigError) as caught:
        TemporalComponent(spec(**metadata))
    assert caught.value.field == field
    assert words in caught.value.reason
    assert caught.value.component == "t"


def test_tls_from_inline_pem_and_relative_files(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "client.pem").write_text(PEM)
    (tmp_path / "certs" / "client.key").write_text(
        "-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----\n"
    )
    settings = connection_settings(
        spec(
            tmp_path,
            tlsCaCert=PEM,
            tlsClientCert="certs/client.pem",
            tlsClientKey="certs/client.key",
            tlsServerName="temporal.internal",
        )
    )
    assert isinstance(settings.tls, TLSConfig)
    assert settings.tls.server_root_ca_cert == PEM.encode()
    assert settings.tls.client_cert == PEM.encode()
    assert settings.tls.client_private_key is not None
    assert settings.tls.client_private_key.startswith(b"-----BEGIN PRIVATE KEY")
    assert settings.tls.domain == "temporal.internal"


def test_tls_file_problems_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ComponentConfigError) as missing:
        connection_settings(spec(tmp_path, tlsCaCert="nope.pem"))
    assert missing.value.field == "spec.metadata.tlsCaCert"
    assert "nope.pem" in missing.value.reason
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(ComponentConfigError, match="not a PEM"):
        connection_settings(spec(tmp_path, tlsCaCert="junk.pem"))


def test_start_options_are_declared() -> None:
    assert TemporalComponent.start_options == frozenset({"taskQueue", "executionTimeout"})
