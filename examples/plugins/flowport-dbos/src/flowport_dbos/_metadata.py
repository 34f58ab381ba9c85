"""The component's metadata: what a ``workflow.dbos`` component YAML file may say."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pydantic
import sqlalchemy

_REFERENCE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class DbosMetadata(pydantic.BaseModel):
    """Read with ``contracts.parse_metadata``: names match case-insensitively, unknown ones fail.

    - ``workflows`` (required): comma-separated ``module:function`` references to DBOS workflow
      functions. Only these can be started through the gateway, each under its DBOS name.
    - ``workflowsPath``: comma-separated directories put on ``sys.path`` before importing,
      relative to the YAML file's folder. Default: that folder.
    - ``systemDatabaseUrl``: DBOS's system database. A relative SQLite path resolves against the
      YAML file's folder. Default: ``.flowport/<component name>.dbos.sqlite`` in the working
      directory. A Postgres URL with a password belongs in a secret store (``secretKeyRef``).
    - ``appName``, ``applicationVersion``: DBOS's application name and version. DBOS recovers
      unfinished workflows only on the version that started them; by default the version is a
      hash of the workflow code, so pin it if you deploy compatible code changes.
    - ``queueName``, ``queuePollingInterval``: the DBOS queue starts go through, and how often
      (seconds) DBOS looks at it. Lower means a faster PENDING -> RUNNING, more queries.
    - ``logLevel``: DBOS's own log level.
    """

    model_config = pydantic.ConfigDict(populate_by_name=True, extra="forbid")

    workflows: str
    workflows_path: str = pydantic.Field("", alias="workflowsPath")
    system_database_url: str | None = pydantic.Field(None, alias="systemDatabaseUrl")
    app_name: str = pydantic.Field("flowport", alias="appName", min_length=1)
    application_version: str | None = pydantic.Field(None, alias="applicationVersion")
    queue_name: str = pydantic.Field("flowport", alias="queueName", min_length=1)
    queue_polling_interval: float = pydantic.Field(0.5, alias="queuePollingInterval", gt=0)
    log_level: str = pydantic.Field("WARNING", alias="logLevel")

    @pydantic.field_validator("workflows")
    @classmethod
    def _references(cls, value: str) -> str:
        refs = split(value)
        if not refs:
            raise ValueError("name at least one 'module:function' workflow reference")
        for ref in refs:
            if not _REFERENCE.match(ref):
                raise ValueError(f"{ref!r} is not a 'module:function' reference")
        return value

    @pydantic.field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in _LOG_LEVELS:
            raise ValueError(f"{value!r} is not one of {', '.join(_LOG_LEVELS)}")
        return value.upper()

    @pydantic.field_validator("system_database_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            url = sqlalchemy.make_url(value)
        except sqlalchemy.exc.ArgumentError as exc:
            raise ValueError(f"not a database URL: {exc}") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(f"DBOS runs on sqlite or postgresql, not {url.get_backend_name()!r}")
        return value

    def database_url(self, component: str, base_dir: Path) -> str:
        """The system database URL with any relative SQLite path made absolute."""
        if self.system_database_url is None:
            path = Path.cwd() / ".flowport" / f"{component}.dbos.sqlite"
            return f"sqlite:///{path}"
        url = sqlalchemy.make_url(self.system_database_url)
        database = url.database
        if url.get_backend_name() == "sqlite" and database and database != ":memory:":
            path = Path(database)
            if not path.is_absolute():
                url = url.set(database=str(base_dir / path))
        return url.render_as_string(hide_password=False)

    def import_paths(self, base_dir: Path) -> list[Path]:
        return [base_dir / part for part in split(self.workflows_path)] or [base_dir]


def split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (to create its folder), or ``None``."""
    parsed: Any = sqlalchemy.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)
