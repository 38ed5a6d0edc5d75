"""Typed settings, built once from ``HOOKBUS_*`` environment variables and passed in.

Nothing deeper in the code reads the environment: a service builds a :class:`Settings` at start
and hands it (or the part it needs) to what it constructs.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shared.setting_values import (
    SettingsError,
    at_least_one,
    parse_bool,
    parse_duration,
    parse_public_url,
    parse_schedule,
    parse_secret_keys,
)
from shared.settings_check import check_env


@dataclass(frozen=True)
class Settings:
    """Every knob of hookbus; see the README for what each one does."""

    admin_token: str = field(default_factory=lambda: "hb_" + secrets.token_urlsafe(24))
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    audit_port: int = 8081
    router_port: int = 8082
    dispatcher_port: int = 8083
    audit_url: str = "http://127.0.0.1:8081"
    kafka_bootstrap: str | None = None
    topic_prefix: str = "hookbus."
    partitions: int = 6
    # Copies of every topic hookbus creates (1 suits a single broker; 3 a production cluster).
    replication_factor: int = 1
    data_dir: Path = field(default_factory=lambda: Path.home() / ".local" / "share" / "hookbus")
    database_url: str | None = None
    retry_schedule: tuple[float, ...] = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
    allow_private_destinations: bool = False
    max_payload_bytes: int = 1024 * 1024
    delivery_concurrency: int = 200
    secret_grace: float = 86400.0
    disable_after: float = 5 * 86400.0
    retry_after_max: float = 3600.0
    log_level: str = "INFO"
    retention: float = 30 * 86400.0  # seconds the audit log keeps rows; 0 keeps them forever
    retention_interval: float = 600.0
    # Inbound webhooks: the largest received body, how long sync mode waits, and the public
    # base URL providers call (None: http://HOOKBUS_HTTP_HOST:HOOKBUS_HTTP_PORT).
    max_body: int = 1024 * 1024
    sync_timeout: float = 30.0
    public_url: str | None = None
    instance_id: str = field(default_factory=lambda: secrets.token_hex(4))
    dedupe_window: float = 86400.0
    verdict_timeout: float = 5.0
    secret_keys: tuple[bytes, ...] = ()
    # Live streams: a comment line goes out after this long without an event.
    stream_keepalive: float = 15.0
    # Background tasks (replay, recover) read and send this many items per page.
    task_page_size: int = 500

    @property
    def sqlite_url(self) -> str:
        """The audit database URL: ``HOOKBUS_DATABASE_URL`` or SQLite under the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'audit.sqlite3'}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``env`` (default ``os.environ``); raise :class:`SettingsError`
        naming the first variable whose value is not allowed."""

        env = os.environ if env is None else env
        check_env(env)
        base = cls()

        def get(name: str) -> str | None:
            value = env.get("HOOKBUS_" + name)
            return value if value not in (None, "") else None

        def integer(name: str, default: int) -> int:
            raw = get(name)
            try:
                return default if raw is None else int(raw)
            except ValueError as exc:
                raise SettingsError(f"HOOKBUS_{name} must be an integer, got {raw!r}") from exc

        port = integer("HTTP_PORT", base.http_port)
        audit_port = integer("AUDIT_PORT", base.audit_port)
        schedule = get("RETRY_SCHEDULE")
        data_dir = get("DATA_DIR")
        return cls(
            admin_token=get("ADMIN_TOKEN") or base.admin_token,
            http_host=get("HTTP_HOST") or base.http_host,
            http_port=port,
            audit_port=audit_port,
            router_port=integer("ROUTER_PORT", base.router_port),
            dispatcher_port=integer("DISPATCHER_PORT", base.dispatcher_port),
            audit_url=get("AUDIT_URL") or f"http://127.0.0.1:{audit_port}",
            kafka_bootstrap=get("KAFKA_BOOTSTRAP"),
            topic_prefix=env.get("HOOKBUS_TOPIC_PREFIX", base.topic_prefix),
            partitions=integer("PARTITIONS", base.partitions),
            replication_factor=at_least_one("REPLICATION_FACTOR", integer("REPLICATION_FACTOR", 1)),
            data_dir=Path(data_dir) if data_dir else base.data_dir,
            database_url=get("DATABASE_URL"),
            retry_schedule=parse_schedule(schedule) if schedule else base.retry_schedule,
            allow_private_destinations=parse_bool(get("ALLOW_PRIVATE_DESTINATIONS") or "false"),
            max_payload_bytes=integer("MAX_PAYLOAD_BYTES", base.max_payload_bytes),
            delivery_concurrency=integer("DELIVERY_CONCURRENCY", base.delivery_concurrency),
            secret_grace=parse_duration(get("SECRET_GRACE") or "24h"),
            disable_after=parse_duration(get("DISABLE_AFTER") or "5d"),
            retry_after_max=parse_duration(get("RETRY_AFTER_MAX") or "1h"),
            log_level=(get("LOG_LEVEL") or base.log_level).upper(),
            retention=parse_duration(get("RETENTION") or "30d"),
            retention_interval=parse_duration(get("RETENTION_INTERVAL") or "10m"),
            instance_id=get("INSTANCE_ID") or base.instance_id,
            dedupe_window=parse_duration(get("DEDUPE_WINDOW") or "24h"),
            verdict_timeout=parse_duration(get("VERDICT_TIMEOUT") or "5s"),
            secret_keys=parse_secret_keys(get("SECRET_KEY") or ""),
            max_body=integer("MAX_BODY", base.max_body),
            sync_timeout=parse_duration(get("SYNC_TIMEOUT") or "30s"),
            public_url=parse_public_url(get("PUBLIC_URL")),
            stream_keepalive=parse_duration(get("STREAM_KEEPALIVE") or "15s"),
            task_page_size=at_least_one("TASK_PAGE_SIZE", integer("TASK_PAGE_SIZE", 500)),
        )

    @property
    def base_url(self) -> str:
        """Where providers reach the ingress: ``HOOKBUS_PUBLIC_URL`` or the listening address."""
        return self.public_url or f"http://{self.http_host}:{self.http_port}"

    @property
    def bootstrap(self) -> str:
        """The Kafka bootstrap servers; raise :class:`SettingsError` when none is configured."""
        if not self.kafka_bootstrap:
            raise SettingsError("HOOKBUS_KAFKA_BOOTSTRAP is not set (hookbus run starts a broker)")
        return self.kafka_bootstrap
