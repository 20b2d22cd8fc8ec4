"""SQLAlchemy 2 typed models. Every schema change comes with an Alembic migration."""
from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from synnefo.core.db.types import JSONText, UTCDateTime
from synnefo.core.timeutil import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Timestamps:
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow,
                                                 index=True)


class User(Timestamps, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    max_servers: Mapped[int] = mapped_column(default=10)
    max_cores: Mapped[int] = mapped_column(default=40)
    max_ram_mib: Mapped[int] = mapped_column(default=81920)
    max_disk_gib: Mapped[int] = mapped_column(default=1000)
    disabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    user: Mapped[User] = relationship(back_populates="tokens")


class Flavor(Base):
    __tablename__ = "flavors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255), unique=True)
    vcpus: Mapped[int]
    ram_mib: Mapped[int]
    disk_gib: Mapped[int]
    public: Mapped[bool] = mapped_column(default=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Image(Timestamps, Base):
    __tablename__ = "images"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True,
                                    default=lambda: str(uuid.uuid4()))
    name: Mapped[str] = mapped_column(sa.String(255), index=True)
    backend_ref: Mapped[str] = mapped_column(sa.String(255))
    format: Mapped[str] = mapped_column(sa.String(32), default="diskdump")
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"),
                                                 index=True)
    public: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(32), default="ACTIVE")
    min_disk_gib: Mapped[int] = mapped_column(default=0)
    min_ram_mib: Mapped[int] = mapped_column(default=0)
    size_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    owner: Mapped[User | None] = relationship()
    metadata_items: Mapped[list[ImageMetadata]] = relationship(
        cascade="all, delete-orphan", order_by="ImageMetadata.key")


class ImageMetadata(Base):
    __tablename__ = "image_metadata"
    __table_args__ = (sa.UniqueConstraint("image_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    image_id: Mapped[str] = mapped_column(sa.ForeignKey("images.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(255))
    value: Mapped[str] = mapped_column(sa.String(255))


class Backend(Timestamps, Base):
    """A Ganeti cluster. ``credentials_ref`` names where its RAPI password comes from."""
    __tablename__ = "backends"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255), unique=True)
    driver: Mapped[str] = mapped_column(sa.String(64), default="ganeti")
    rapi_url: Mapped[str | None] = mapped_column(sa.String(1024))
    username: Mapped[str | None] = mapped_column(sa.String(255))
    credentials_ref: Mapped[str | None] = mapped_column(sa.String(255))
    options: Mapped[dict | None] = mapped_column(JSONText())
    drained: Mapped[bool] = mapped_column(default=False)
    offline: Mapped[bool] = mapped_column(default=False)


class Server(Timestamps, Base):
    __tablename__ = "servers"
    # A user's page (newest first, from a marker) is one range of this index.
    __table_args__ = (sa.Index("ix_servers_owner_deleted_id", "owner_id", "deleted", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(sa.String(255))
    flavor_id: Mapped[int] = mapped_column(sa.ForeignKey("flavors.id"))
    image_id: Mapped[str | None] = mapped_column(sa.ForeignKey("images.id", ondelete="SET NULL"))
    backend_id: Mapped[int | None] = mapped_column(sa.ForeignKey("backends.id"), index=True)
    operstate: Mapped[str] = mapped_column(sa.String(16), default="BUILD")
    deleted: Mapped[bool] = mapped_column(default=False)
    task: Mapped[str | None] = mapped_column(sa.String(32))
    task_job_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    backend_job_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    backend_opcode: Mapped[str | None] = mapped_column(sa.String(64))
    backend_status: Mapped[str | None] = mapped_column(sa.String(16))
    backend_logmsg: Mapped[str | None] = mapped_column(sa.Text)
    backend_event_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    state_event_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    state_job_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    fault_message: Mapped[str | None] = mapped_column(sa.Text)
    nics_event_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    build_progress: Mapped[int] = mapped_column(default=0)
    host: Mapped[str | None] = mapped_column(sa.String(255))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reconciled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    # What the server was created with (kept when the keypair is deleted, as in Nova).
    key_name: Mapped[str | None] = mapped_column(sa.String(255))
    user_data: Mapped[str | None] = mapped_column(sa.Text)
    personality: Mapped[list | None] = mapped_column(JSONText())
    owner: Mapped[User] = relationship()
    flavor: Mapped[Flavor] = relationship()
    image: Mapped[Image | None] = relationship()
    backend: Mapped[Backend | None] = relationship()
    metadata_items: Mapped[list[ServerMetadata]] = relationship(
        cascade="all, delete-orphan", order_by="ServerMetadata.key")
    nics: Mapped[list[Nic]] = relationship(cascade="all, delete-orphan", order_by="Nic.index")


class ServerMetadata(Base):
    __tablename__ = "server_metadata"
    __table_args__ = (sa.UniqueConstraint("server_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = mapped_column(sa.ForeignKey("servers.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(255))
    value: Mapped[str] = mapped_column(sa.String(255))


class Nic(Base):
    __tablename__ = "nics"
    __table_args__ = (sa.UniqueConstraint("server_id", "index"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    server_id: Mapped[int] = mapped_column(sa.ForeignKey("servers.id", ondelete="CASCADE"))
    index: Mapped[int]
    mac: Mapped[str | None] = mapped_column(sa.String(17))
    ipv4: Mapped[str | None] = mapped_column(sa.String(15))
    ipv6: Mapped[str | None] = mapped_column(sa.String(45))
    link: Mapped[str | None] = mapped_column(sa.String(255))
    network: Mapped[str | None] = mapped_column(sa.String(255))


class Keypair(Base):
    """An SSH public key or X.509 certificate of one user (Nova's ``os-keypairs``)."""
    __tablename__ = "keypairs"
    __table_args__ = (sa.UniqueConstraint("user_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(255))
    type: Mapped[str] = mapped_column(sa.String(8), default="ssh")
    public_key: Mapped[str] = mapped_column(sa.Text)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LoginFailure(Base):
    """One failed login, counted per user name and per client address (``scope``).

    Rows, not counters: every WEBSERVER inserts, none updates, so concurrent failures are all
    counted without locking; rows older than the lockout window are deleted as new ones come.
    """
    __tablename__ = "login_failures"
    __table_args__ = (sa.Index("ix_login_failures_scope_subject_at", "scope", "subject", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(8))
    subject: Mapped[str] = mapped_column(sa.String(255))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
