"""Database tables. Services own the queries; handlers never touch these directly."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bot.dbtypes import UTCDateTime

_REQUIRED: Any = ...


def _dt(*, default: Any = _REQUIRED, index: bool = False) -> Any:
    """A timezone-aware datetime column (stored as UTC on both databases); required unless a default is given."""
    if default is _REQUIRED:
        return Field(sa_type=UTCDateTime, index=index)
    return Field(default=default, sa_type=UTCDateTime, index=index)


class SchemaInfo(SQLModel, table=True):
    """The schema version this database was migrated to (one row)."""

    id: int = Field(default=1, primary_key=True)
    version: int


class PendingConfirmation(SQLModel, table=True):
    """A far-reaching command (a fan-out) waiting for its sender's “确认”; one per person and conversation."""

    conversation: str = Field(primary_key=True)  # the room id, or "-" for a private chat
    contact_id: str = Field(primary_key=True)
    text: str  # the command as typed: it is parsed and run again when confirmed
    expires_at: datetime = _dt()


class SenderState(SQLModel, table=True):
    """The send pace of one account after WeChat said 操作过于频繁 (kept across restarts)."""

    account: str = Field(default="", primary_key=True)
    slowdown: int = 1
    strikes: int = 0
    last_throttle: datetime | None = _dt(default=None)
    paused_until: datetime | None = _dt(default=None)


class GatewayState(SQLModel, table=True):
    """What the running bot of one account last said about its connection, for `status` and the admins."""

    account: str = Field(default="", primary_key=True)
    gateway: str = ""
    self_id: str = ""  # the account's own contact id: never counted as a member by any process
    connected: bool = False
    since: datetime | None = _dt(default=None)
    heartbeat_at: datetime | None = _dt(default=None)  # the process was alive then
    last_received_at: datetime | None = _dt(default=None)
    last_sent_at: datetime | None = _dt(default=None)


class Revision(SQLModel, table=True):
    """A counter per kind of shared data (calendar, staff, roster …), bumped by whoever changes it — a command-line
    tool, the web console or another bot process — so a running bot knows to reload what it caches."""

    topic: str = Field(primary_key=True)
    revision: int = 0


class Room(SQLModel, table=True):
    """A WeChat room the bot has seen, and the configured group it is bound to (kept across renames)."""

    room_id: str = Field(primary_key=True)
    topic: str
    group_name: str | None = Field(default=None, index=True)
    account: str = Field(default="", index=True)  # the bot account that sees this room and serves its group
    updated_at: datetime = _dt()


class Contact(SQLModel, table=True):
    contact_id: str = Field(primary_key=True)
    name: str
    updated_at: datetime = _dt()


class ContactReach(SQLModel, table=True):
    """Whether one bot account can message a contact privately: WeChat lets a personal account write only to
    its friends. Learnt from friend events, private messages and refused sends."""

    contact_id: str = Field(primary_key=True)
    account: str = Field(default="", primary_key=True)
    friend: bool | None = None  # None: not known yet
    refused: str = ""  # the last permanent refusal (not a friend, blocked, deleted), if any
    refused_at: datetime | None = _dt(default=None)
    last_private_at: datetime | None = _dt(default=None)  # the contact last wrote to this account privately
    updated_at: datetime | None = _dt(default=None)


class Friendship(SQLModel, table=True):
    """A friend request to one bot account and what became of it."""

    __table_args__ = (UniqueConstraint("request_id", "account"),)

    id: int | None = Field(default=None, primary_key=True)  # the number /好友申请 shows
    request_id: str
    account: str = ""
    contact_id: str = Field(index=True)
    name: str = ""
    hello: str = ""  # what the requester wrote
    at: datetime = _dt(index=True)
    status: str = Field(default="pending", index=True)  # pending | accepting | accepted | ignored
    accept_at: datetime | None = _dt(default=None)  # when the paced acceptance is due
    reason: str = ""  # why it was accepted (member of 行管1班, staff, grant code, 学号) or left pending
    decided_by: str = ""  # "auto" or the admin's contact id
    decided_at: datetime | None = _dt(default=None)


class Newcomer(SQLModel, table=True):
    """Someone who joined a class group, waiting for the merged welcome."""

    room_id: str = Field(primary_key=True)
    contact_id: str = Field(primary_key=True)
    joined_at: datetime = _dt(index=True)
    status: str = Field(default="pending", index=True)  # pending | welcomed | skipped


class RoomMember(SQLModel, table=True):
    room_id: str = Field(primary_key=True)
    contact_id: str = Field(primary_key=True)
    alias: str = ""
    active: bool = True
    joined_at: datetime = _dt()
    left_at: datetime | None = _dt(default=None)


class StaffBinding(SQLModel, table=True):
    """A staff member bound by contact id: from config (source=config) or a one-time code (source=grant)."""

    contact_id: str = Field(primary_key=True)
    name: str
    role: str  # teacher | coordinator | admin
    classes: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    points: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    source: str = "config"
    created_at: datetime = _dt()


class GrantCode(SQLModel, table=True):
    code: str = Field(primary_key=True)
    name: str
    role: str
    classes: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    points: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: datetime = _dt()
    expires_at: datetime = _dt()
    used_by: str | None = None
    used_at: datetime | None = _dt(default=None)


class Inbound(SQLModel, table=True):
    """The journal of incoming messages: written on arrival (one small insert), processed from here. Unique by
    platform id and by content fingerprint, so a redelivery (even with a new id) is dropped on arrival."""

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(unique=True)
    fingerprint: str = Field(unique=True)
    at: datetime = _dt(index=True)  # when it arrived
    payload: dict | None = Field(default=None, sa_column=Column(JSON))  # the message, to process after a crash
    status: str = Field(default="pending", index=True)  # arrived | pending | done | failed | unreadable
    processed_at: datetime | None = _dt(default=None)
    # The bot account that received it: each process reads and processes only its own account's messages (a city
    # shares one journal; another account's puppet cannot read them, and another process would not serve them).
    account: str = Field(default="", index=True)


class OutboxItem(SQLModel, table=True):
    """One message to send. Written before any send is tried, so a crash loses nothing pending."""

    __table_args__ = (Index("ix_outbox_status_nb", "status", "not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(default="", index=True)  # the bot account that sends it ("" for a single account)
    room_id: str | None = None
    contact_id: str | None = None
    text: str = ""
    mentions: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    file_path: str | None = None
    status: str = "pending"  # a SendStatus
    priority: int = 0  # lower goes first: 0 replies, 5 bulk
    not_before: datetime = _dt()
    attempts: int = 0
    created_at: datetime = _dt()
    sent_at: datetime | None = _dt(default=None)
    platform_id: str | None = None
    last_error: str | None = None
    dedupe_key: str | None = Field(default=None, unique=True)
    repeat_marked: bool = False  # sent again after a crash left it unknown whether WeChat had it, and said so
    action: str = ""  # "" a message; "accept-friend" accepts the friend request `ref` (paced like a send)
    ref: str | None = None
    # A private message the contact cannot receive (not a friend …): what to do instead (bot/outbox.Fallback).
    fallback: dict | None = Field(default=None, sa_column=Column(JSON))


class Notice(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    group_name: str = Field(index=True)
    room_id: str | None = None
    author_id: str
    author_name: str
    text: str
    needs_ack: bool = True
    created_at: datetime = _dt(index=True)
    deadline: datetime | None = _dt(default=None)
    parent_id: int | None = Field(default=None, index=True)  # the coordinator's notice this copy fans out from
    is_fanout: bool = False  # a coordinator's parent notice (no room of its own)
    kind: str = "notice"  # notice | collection (/收集: answered by sending a file, not by 收到)
    nudges_sent: int = 0
    summary_sent: bool = False
    nudge_offsets: list[int] | None = Field(default=None, sa_column=Column(JSON))  # seconds before the deadline;
    # None: the configured defaults; []: no automatic nudges
    # Kept up to date as people acknowledge, join and leave, so a digest over millions of acknowledgements sums a
    # few thousand notices: who it was posted to and still is in the group (staff and the bot excluded), how many
    # of them acknowledged, and how many of those late.
    expected_count: int = 0
    ack_count: int = 0
    late_count: int = 0


class Ack(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("notice_id", "contact_id"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(index=True)
    contact_id: str
    name: str = ""
    at: datetime = _dt()
    late: bool = False
    via: str = "reply"  # reply | quote | number | solitaire
    message_id: str = ""
    text: str = ""


class Submission(SQLModel, table=True):
    """A student's file for a collection (/收集): the latest one only (a resubmission replaces it). Personal data:
    deleted by `forget` and after `collections.keep` (README "收集")."""

    __table_args__ = (UniqueConstraint("notice_id", "contact_id"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(index=True)
    contact_id: str = Field(index=True)
    student_no: str = Field(default="", index=True)  # "" when the sender was not bound to the roster
    name: str = ""  # as the file is named: the roster name, else the WeChat name
    path: str  # where it is kept (files.collections/<notice>-<class>/学号_姓名.ext)
    original: str = ""  # the name it was sent with
    size: int = 0
    first_at: datetime = _dt()
    at: datetime = _dt()  # the latest
    versions: int = 1  # how many times it was sent (each replaced the one before)


class NoticeMember(SQLModel, table=True):
    """Who was in the group when a notice was posted: only they are expected to acknowledge it (WeChat shows a
    newcomer nothing from before they joined)."""

    __table_args__ = (Index("ix_noticemember_unacked", "notice_id", sqlite_where=text("acked = 0"),
                            postgresql_where=text("acked = false")),)

    notice_id: int = Field(primary_key=True)
    contact_id: str = Field(primary_key=True)
    acked: bool = False  # the few still missing are found through a partial index (students behind)


class Student(SQLModel, table=True):
    """A roster row. Personal data: see README "隐私"."""

    student_no: str = Field(primary_key=True)
    name: str
    class_name: str = Field(index=True)
    point: str = ""
    phone: str = ""
    major: str = ""
    grade: str = ""
    contact_id: str | None = Field(default=None, index=True)


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _dt(index=True)
    actor_id: str
    actor_name: str = ""
    where: str = ""
    action: str
    detail: str = ""
    result: str = "ok"


class Delivery(SQLModel, table=True):
    """The durable log of timed sends (reminders, nudges, digests): one row per unique key, so once only."""

    key: str = Field(primary_key=True)
    kind: str = Field(index=True)
    group_name: str = Field(default="", index=True)
    due_at: datetime = _dt()
    claimed_at: datetime = _dt(index=True)
    status: str = "sent"  # a DeliveryStatus
    detail: str = ""
    outbox_id: int | None = Field(default=None, index=True)  # the message that carries it: sent when that is


class Question(SQLModel, table=True):
    """A student question the bot could not answer, for the advisor and the digest."""

    id: int | None = Field(default=None, primary_key=True)
    group_name: str = Field(index=True)
    contact_id: str
    name: str
    text: str
    at: datetime = _dt(index=True)
    answered_id: str | None = None  # "staff:<contact id>" once a teacher replied through /答复
    in_private: bool = False  # asked in a private chat: answered privately too
    score: float = 0.0
    forwarded: bool = False


class FaqEntry(SQLModel, table=True):
    """A Q&A pair a teacher added in chat (/问答 添加); effective at once."""

    id: int | None = Field(default=None, primary_key=True)
    question: str
    answer: str
    author_id: str
    created_at: datetime = _dt()


class Phrasing(SQLModel, table=True):
    """A 问法 line a teacher added in the web console: how students say it -> how the handbook says it (the same as a
    `synonyms:` line of data/qa_lexicon.yaml; a line here wins over the file's)."""

    word: str = Field(primary_key=True)
    means: str
    author_id: str
    created_at: datetime = _dt()


class ChatReminder(SQLModel, table=True):
    """A reminder a teacher set in chat (/提醒)."""

    id: int | None = Field(default=None, primary_key=True)
    group_name: str = Field(index=True)
    type: str = "其他"
    title: str
    at: datetime = _dt()
    author_id: str
    created_at: datetime = _dt()
    cancelled: bool = False


class ImportedEvent(SQLModel, table=True):
    """An event from `calendar import` (the province's live timetable, an ICS file)."""

    id: str = Field(primary_key=True)
    data: dict = Field(default_factory=dict, sa_column=Column(JSON))
    source: str = ""
    updated_at: datetime = _dt()


class EventSeen(SQLModel, table=True):
    """When the bot first knew an event: reminders planned before that are not 'missed', just too late."""

    event_id: str = Field(primary_key=True)
    first_seen: datetime = _dt()


# -- web console (bot/weblogin.py) ------------------------------------------------------------------------------------
class WebLink(SQLModel, table=True):
    """A one-time login link sent by /后台: only its hash is kept; used once, within minutes, by that contact."""

    token_hash: str = Field(primary_key=True)
    contact_id: str = Field(index=True)
    created_at: datetime = _dt()
    expires_at: datetime = _dt()
    used_at: datetime | None = _dt(default=None)


class WebSession(SQLModel, table=True):
    """A login to the web console (the cookie holds the token; only its hash is kept here)."""

    token_hash: str = Field(primary_key=True)
    contact_id: str = Field(index=True)
    csrf: str  # the token every form of this session carries
    created_at: datetime = _dt()
    expires_at: datetime = _dt(index=True)
    ended_at: datetime | None = _dt(default=None)  # logged out or revoked


class WebKey(SQLModel, table=True):
    """The console's secret for opaque ids in URLs (a student's page is /s/<hmac>, never a 学号), made once."""

    id: int = Field(default=1, primary_key=True)
    secret: str
# -- end web console ------------------------------------------------------------------------------------------------
class Upload(SQLModel, table=True):
    """A file a staff member sent the bot to import, kept until it is imported, refused or expires."""

    token: str = Field(primary_key=True)
    contact_id: str = Field(index=True)
    file_name: str
    path: str
    size: int = 0
    importer: str = ""
    received_at: datetime = _dt(index=True)
    status: str = "pending"  # pending | imported | expired


# -- progress (督学): BEGIN -------------------------------------------------------------------------------------------
class ProgressImport(SQLModel, table=True):
    """One import of a platform export (a dated snapshot of one kind), from the command line or the chat."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # 形考 | 网检 | 直播 | 选课 | 报考 | 预警
    as_of: date = Field(index=True)  # the day the export is about
    event: str = ""  # a 直播 attendance list: the occurrence (live-admin@20261110)
    file_name: str = ""
    actor_id: str = ""
    actor_name: str = ""
    at: datetime = _dt()
    classes: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    students: int = 0
    values: int = 0


class ProgressValue(SQLModel, table=True):
    """The history: one student's item on one snapshot day (a re-import of the same day replaces it)."""

    __table_args__ = (UniqueConstraint("kind", "student_no", "course", "item", "as_of"),
                      Index("ix_progressvalue_kind_class_asof", "kind", "class_name", "as_of"))

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(index=True)
    kind: str
    as_of: date
    class_name: str
    student_no: str = Field(index=True)
    course: str = ""
    item: str  # 形考作业2 · 在线天数 · 直播课 11月10日 · 选课 · 预警
    ref: str = ""  # the calendar event whose deadline the item is due by (or the live occurrence)
    done: bool | None = None  # completion items
    value: float | None = None  # a score, an indicator, minutes attended, sessions attended
    total: float | None = None  # sessions scheduled (直播 statistics)
    note: str = ""  # a warning's reason, a last-login time, a value kept as written


class ProgressState(SQLModel, table=True):
    """The latest value of each student's item: what status, /进度 and chasing read."""

    __table_args__ = (Index("ix_progressstate_class_kind", "class_name", "kind"),)

    student_no: str = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    course: str = Field(default="", primary_key=True)
    item: str = Field(primary_key=True)
    class_name: str
    ref: str = Field(default="", index=True)
    as_of: date
    done: bool | None = None
    value: float | None = None
    total: float | None = None
    note: str = ""
    import_id: int = 0


class ProgressFigure(SQLModel, table=True):
    """A class's aggregate of one item on one snapshot day; the 数据通报 compares these across months."""

    kind: str = Field(primary_key=True)
    class_name: str = Field(primary_key=True)
    course: str = Field(default="", primary_key=True)
    item: str = Field(primary_key=True)
    as_of: date = Field(primary_key=True)
    point: str = ""
    students: int = 0  # students counted (the roster's size for 网检 indicators)
    done: int = 0  # done (completion items), or students above zero (indicators)
    value_sum: float = 0.0  # indicators: the sum (online days, actions …); 直播 statistics: sessions attended
    total_sum: float = 0.0  # 直播 statistics: sessions scheduled


class ProgressContact(SQLModel, table=True):
    """The contact log (台账): reminders sent, staff follow-ups and students' replies, in the schools' layout."""

    id: int | None = Field(default=None, primary_key=True)
    student_no: str = Field(index=True)
    class_name: str = Field(index=True)
    at: datetime = _dt(index=True)
    kind: str  # reminder | follow-up | reply
    method: str  # 私聊提醒 · 群内提醒 · 电话 · 微信 · 短信 · 面谈 · 学生回复 · 其他
    items: list[str] = Field(default_factory=list, sa_column=Column(JSON))  # item keys concerned
    problem: str = ""  # 形考作业2 未完成
    result: str = ""
    actor_id: str = ""
    actor_name: str = ""


class ProgressClaim(SQLModel, table=True):
    """A student's “交了” to a reminder, checked against the next import of that kind."""

    id: int | None = Field(default=None, primary_key=True)
    student_no: str = Field(index=True)
    kind: str
    course: str = ""
    item: str
    at: datetime = _dt()
    status: str = "open"  # open | confirmed | contradicted
# -- progress (督学): END ---------------------------------------------------------------------------------------------
