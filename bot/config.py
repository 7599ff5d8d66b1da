"""The school's configuration (config.yaml): models, validation and one readable error.

`load_config()` returns a validated `Config` or raises `ConfigError` naming the file, the key path and the line.
Nothing starts on an invalid config.
"""

from __future__ import annotations

import os
import re
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.kernel.durations import parse_clock, parse_duration
from bot.yamlio import Located, YamlError, format_path, load_yaml

ConfigError = YamlError

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
ClockTime = Annotated[time, BeforeValidator(parse_clock)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WechatyGateway(Strict):
    token_env: str = "WECHATY_PUPPET_SERVICE_TOKEN"
    endpoint_env: str = "WECHATY_PUPPET_SERVICE_ENDPOINT"
    endpoint: str | None = None  # may also come from the environment; the token never lives in config
    reconnect_min: Duration = timedelta(seconds=2)
    reconnect_max: Duration = timedelta(minutes=5)
    # Private messages only to contacts the puppet reports as friends (others get the fallback at once). Turn off
    # for a puppet that does not report friendship.
    friend_check: bool = True


class Account(Strict):
    """One WeChat account (one bot process, one puppet service) and the groups it serves."""

    name: str
    token_env: str  # the environment variable holding this account's puppet service token
    endpoint_env: str  # … and its endpoint (host:port)
    endpoint: str | None = None
    points: list[str] = []  # the class groups of these teaching points
    groups: list[str] = []  # and these groups by name (coordinator groups, single classes)


class GatewayConfig(Strict):
    kind: Literal["console", "wechaty", "fake"] = "console"
    bot_name: str = "班助"
    wechaty: WechatyGateway = WechatyGateway()
    # A city runs several accounts (typically one per teaching point), one process each over one database.
    # Empty: one account serves every group.
    accounts: list[Account] = []


class OutboxConfig(Strict):
    min_interval: Duration = timedelta(seconds=3)
    jitter: Duration = timedelta(seconds=2)
    max_chars: int = Field(1500, ge=100, le=4000)
    max_mentions: int = Field(20, ge=1, le=100)
    retry_backoff: list[Duration] = [timedelta(seconds=5), timedelta(seconds=30), timedelta(minutes=2),
                                     timedelta(minutes=10)]
    give_up_after: Duration = timedelta(hours=24)
    # When WeChat says 操作过于频繁: stop sending for the next pause in this list, then send at half speed
    # (down to an eighth); each calm period without a refusal doubles the speed again.
    throttle_pause: list[Duration] = [timedelta(minutes=10), timedelta(minutes=30), timedelta(hours=1),
                                      timedelta(hours=2)]
    throttle_calm: Duration = timedelta(hours=1)


class QuietHours(Strict):
    start: ClockTime = time(22, 0)
    end: ClockTime = time(7, 30)


class FilesConfig(Strict):
    calendar: str = "data/calendar.yaml"
    handbook: str = "data/handbook.md"
    faq: str = "data/faq.yaml"
    roster: str | None = "data/roster.csv"
    exports: str = "data/exports"
    uploads: str = "data/uploads"  # files staff sent in chat, until imported
    incoming: str = "data/incoming"  # images and files as they arrive from WeChat, before a feature keeps them
    collections: str = "data/collections"  # files students sent for a /收集, one folder per collection


class NoticeConfig(Strict):
    nudge_before: list[Duration] = [timedelta(hours=24), timedelta(hours=2)]
    max_nudges: int = Field(2, ge=0, le=10)


class DigestConfig(Strict):
    daily: ClockTime | None = time(20, 0)  # to each coordinator group, for its teaching points
    weekly_day: int = Field(1, ge=1, le=7)  # 1 = Monday
    weekly: ClockTime | None = time(8, 30)
    monthly_day: int = Field(1, ge=1, le=28)
    monthly: ClockTime | None = time(9, 0)
    catch_up: Duration = timedelta(hours=6)  # a digest missed while the bot was down is sent if this recent


class RetentionConfig(Strict):
    """How long working records are kept: processed messages, sent messages, the delivery and audit logs."""

    days: Duration | None = timedelta(days=180)  # null: keep everything
    every: Duration = timedelta(days=1)


# -- web console (bot/web) ------------------------------------------------------------------------------------------
class WebConfig(Strict):
    """The 后台: `python -m bot web`, or inside `run` when enabled."""

    enabled: bool = False  # serve the console inside `python -m bot run` (same process, same event loop)
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    base_url: str = "http://127.0.0.1:8080"  # what /后台 links start with: the public https:// address behind a proxy
    link_ttl: Duration = timedelta(minutes=10)  # a /后台 link is valid this long, once
    session: Duration = timedelta(hours=10)  # a login lasts a working day
    max_upload_mb: int = Field(10, ge=1, le=200)  # larger uploads are refused before they are read

    @field_validator("base_url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with https:// (or http:// for a local try-out), got {value!r}")
        return value.rstrip("/")
# -- end web console -------------------------------------------------------------------------------------------------
# -- progress (督学): BEGIN -------------------------------------------------------------------------------------------
def parse_amount(value: Any) -> float:
    """A target: 92% (a rate), 0.92, or a plain figure such as 10 (online days)."""
    if isinstance(value, bool):
        raise ValueError(f"not a number or percentage: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"not a number or percentage: {value!r} (e.g. 92% or 10)") from None


Amount = Annotated[float, BeforeValidator(parse_amount)]


class Milestone(Strict):
    by: date  # the figure is due by this day
    value: Amount


def _schedule(value: Any) -> Any:
    """A target is one figure, or a list of {by: date, value: figure} milestones."""
    if value is None or isinstance(value, list):
        return value
    return [{"by": "2000-01-01", "value": value}]


Schedule = Annotated[list[Milestone] | None, BeforeValidator(_schedule)]


class ProgressTargets(Strict):
    """What the school evaluates advisors on, per class. A milestone counts once its day has passed."""

    homework: Schedule = [Milestone(by=date(2000, 1, 1), value=0.92)]  # 形考 completion
    live: Schedule = [Milestone(by=date(2000, 1, 1), value=0.90)]  # 直播 participation
    login_rate: Schedule = None  # 上线学生比例
    online_days: Schedule = None  # 生均在线天数 (and each student's own online days)
    actions: Schedule = None  # 生均在线行为次数
    forum_rate: Schedule = None  # 论坛回帖率


class StarConfig(Strict):
    """网上学习之星: the top learners of each teaching point each month."""

    formula: str = "在线天数 + 行为次数 / 20 + 形考完成率 * 10 + 直播参与率 * 10"
    top: int = Field(3, ge=1, le=20)
    praise: bool = False  # also praise them by name in their class group (never a figure, never the bottom)

    @field_validator("formula")
    @classmethod
    def _formula_compiles(cls, value: str) -> str:
        from bot.progress.formula import compile_formula

        compile_formula(value)
        return value


class ProgressConfig(Strict):
    targets: ProgressTargets = ProgressTargets()
    chase_before: list[Duration] = [timedelta(days=3), timedelta(days=1)]  # automatic reminders before a deadline
    behind_within: Duration = timedelta(days=7)  # an unfinished item counts as behind this close to its deadline
    at_risk_items: int = Field(3, ge=1)  # behind on this many items (or on a warning list): at risk
    phone_after: int = Field(2, ge=1)  # still behind after this many reminders: 需要电话联系
    live_min: Duration = timedelta(minutes=30)  # shorter in a 腾讯会议 list does not count as attending
    report_day: int = Field(1, ge=1, le=28)  # the monthly 数据通报
    report: ClockTime | None = time(9, 30)
    star: StarConfig = StarConfig()
    columns: dict[str, str] = {}  # a header as written in an export -> a field (see README 督学)

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        from bot.progress.columns import CONFIG_FIELDS

        for header, name in value.items():
            if name not in CONFIG_FIELDS:
                raise ValueError(f"{header}: unknown field {name!r}; known: {', '.join(CONFIG_FIELDS)}")
        return value


class UploadConfig(Strict):
    """Files staff send the bot privately (imports)."""

    max_mb: int = Field(20, ge=1, le=200)
    keep: Duration = timedelta(days=1)  # an uploaded file is deleted once imported, or after this long
# -- progress (督学): END ---------------------------------------------------------------------------------------------


# -- WeChat operations: friends, welcomes, account health ------------------------------------------------------
class FriendsConfig(Strict):
    """Friend requests to the bot's accounts (a personal account can write privately only to its friends)."""

    auto_accept: bool = True  # accept class-group members, staff, a valid grant code, or 学号 + name
    accept_per_hour: int = Field(10, ge=1, le=60)  # WeChat restricts accounts that add many friends quickly
    accept_per_day: int = Field(60, ge=1, le=500)
    report: ClockTime | None = time(9, 0)  # the daily list of pending requests to the admins


class WelcomeConfig(Strict):
    """Newcomers in class groups: one merged welcome, and the advisors' daily list of unmatched members."""

    enabled: bool = True
    merge: Duration = timedelta(minutes=3)  # joins within this window get one message
    unmatched_report: ClockTime | None = time(8, 30)  # to each advisor privately, when someone is unmatched


class SmtpConfig(Strict):
    host: str
    port: int = Field(465, ge=1, le=65535)
    ssl: bool = True  # SMTPS (465); false: STARTTLS on a plain connection (587)
    user_env: str | None = None  # environment variables holding the login; never the file
    password_env: str | None = None
    sender: str
    to: list[str] = Field(min_length=1)


class AlertsConfig(Strict):
    """A second channel to the admins that does not depend on the WeChat account it reports on."""

    webhook_env: str | None = None  # an environment variable holding a URL that takes a JSON POST (企业微信群机器人 …)
    smtp: SmtpConfig | None = None
    refused_for: Duration = timedelta(hours=1)  # sends failing this long: tell the admins
    watchdog_after: Duration = timedelta(minutes=10)  # connected, messages waiting, nothing in or out: reconnect
    repeat_after: Duration = timedelta(hours=6)  # the same alert again no sooner than this


class CollectionConfig(Strict):
    """Files students send for a /收集 (README "收集")."""

    max_mb: int | None = Field(None, ge=1, le=200)  # per file; null: uploads.max_mb
    # What may be sent: images, PDF and Word by default (a suffix with its dot).
    types: list[str] = [".jpg", ".jpeg", ".png", ".heic", ".webp", ".gif", ".bmp", ".pdf", ".doc", ".docx"]
    keep: Duration | None = timedelta(days=30)  # files are deleted this long after the collection closes; null: kept

    @field_validator("types")
    @classmethod
    def _suffixes(cls, value: list[str]) -> list[str]:
        for t in value:
            if not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", t):
                raise ValueError(f"{t!r}: a file type is a suffix with its dot, e.g. .jpg")
        return [t.lower() for t in value]


class StaffMember(Strict):
    name: str
    role: Literal["teacher", "coordinator", "admin"]
    id: str | None = None  # WeChat contact id, once known; otherwise bound with a one-time code
    classes: list[str] = []
    points: list[str] = []


class ClassGroup(Strict):
    name: str
    topic: str
    point: str
    major: str = ""
    grade: str = ""
    advisor: str | None = None  # a staff name
    answer_questions: bool = True


class CoordinatorGroup(Strict):
    name: str
    topic: str
    points: list[str] | Literal["all"] = "all"


class Groups(Strict):
    classes: list[ClassGroup]
    coordinators: list[CoordinatorGroup] = []


class Config(Strict):
    school: str = "示例开放大学"
    timezone: str = "Asia/Shanghai"
    database_url: str = "sqlite:///data/banzhu.db"
    gateway: GatewayConfig = GatewayConfig()
    outbox: OutboxConfig = OutboxConfig()
    quiet_hours: QuietHours | None = QuietHours()
    files: FilesConfig = FilesConfig()
    notices: NoticeConfig = NoticeConfig()
    digests: DigestConfig = DigestConfig()
    retention: RetentionConfig = RetentionConfig()
    web: WebConfig = WebConfig()  # the 后台 (bot/web)
    progress: ProgressConfig = ProgressConfig()
    uploads: UploadConfig = UploadConfig()
    friends: FriendsConfig = FriendsConfig()
    welcome: WelcomeConfig = WelcomeConfig()
    alerts: AlertsConfig = AlertsConfig()
    collections: CollectionConfig = CollectionConfig()
    teaching_points: list[str]
    staff: list[StaffMember] = []
    groups: Groups
    # Room-alias (群昵称) conventions that identify a student: 姓名, 学号 and 学号后四位 are the placeholders.
    alias_patterns: list[str] = ["姓名-学号", "学号姓名", "姓名（学号后四位）"]
    # Set by load_config, not by the file: where relative paths are resolved from.
    base_dir: str = Field(".", exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r} (e.g. Asia/Shanghai)") from None
        return value

    @field_validator("alias_patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        from bot.kernel.aliases import compile_alias_pattern

        for p in value:
            compile_alias_pattern(p)
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        points = set(self.teaching_points)
        staff = {s.name for s in self.staff}
        names: dict[str, str] = {}
        topics: dict[str, str] = {}
        both: list[tuple[str, int, ClassGroup | CoordinatorGroup]] = [
            *(("classes", i, g) for i, g in enumerate(self.groups.classes)),
            *(("coordinators", i, g) for i, g in enumerate(self.groups.coordinators))]
        for kind, i, g in both:
            if g.name in names:
                raise _at(("groups", kind, i, "name"), f"group name {g.name!r} is used twice")
            names[g.name] = kind
            if g.topic in topics:
                raise _at(("groups", kind, i, "topic"), f"room topic {g.topic!r} is already used by {topics[g.topic]}")
            topics[g.topic] = g.name
        for i, c in enumerate(self.groups.classes):
            if c.point not in points:
                raise _at(("groups", "classes", i, "point"), f"unknown teaching point {c.point!r}; known: {sorted(points)}")
            if c.advisor and c.advisor not in staff:
                raise _at(("groups", "classes", i, "advisor"), f"advisor {c.advisor!r} is not listed under staff")
        for i, g in enumerate(self.groups.coordinators):
            for p in [] if g.points == "all" else g.points:
                if p not in points:
                    raise _at(("groups", "coordinators", i, "points"), f"unknown teaching point {p!r}")
        classes = {c.name for c in self.groups.classes}
        ids: dict[str, str] = {}
        for i, s in enumerate(self.staff):
            for c_name in s.classes:
                if c_name not in classes:
                    raise _at(("staff", i, "classes"), f"unknown class {c_name!r}")
            for p in s.points:
                if p not in points:
                    raise _at(("staff", i, "points"), f"unknown teaching point {p!r}")
            if s.id:
                if s.id in ids:
                    raise _at(("staff", i, "id"), f"contact id {s.id!r} is also given to {ids[s.id]}")
                ids[s.id] = s.name
        self._check_accounts(points)
        return self

    def _check_accounts(self, points: set[str]) -> None:
        """Every group is served by exactly one account (when accounts are configured)."""
        accounts = self.gateway.accounts
        if not accounts:
            return
        held: dict[str, str] = {}
        names: set[str] = set()
        for i, a in enumerate(accounts):
            here = ("gateway", "accounts", i)
            if a.name in names or not a.name:
                raise _at((*here, "name"), f"account name {a.name!r} is empty or used twice")
            names.add(a.name)
            for p in a.points:
                if p not in points:
                    raise _at((*here, "points"), f"unknown teaching point {p!r}")
            for name in a.groups:
                if self.group_by_name(name) is None:
                    raise _at((*here, "groups"), f"unknown group {name!r}")
            for g in self.all_groups():
                if g.name in a.groups or (isinstance(g, ClassGroup) and g.point in a.points):
                    if g.name in held and held[g.name] != a.name:
                        raise _at((*here, "groups"), f"group {g.name!r} is also served by account {held[g.name]!r}")
                    held[g.name] = a.name
        orphans = [g.name for g in self.all_groups() if g.name not in held]
        if orphans:
            raise _at(("gateway", "accounts"), f"no account serves these groups: {', '.join(orphans)}")

    def account_of(self, group_name: str) -> str:
        """The account that serves a group ("" when the city runs one account)."""
        group = self.group_by_name(group_name)
        for a in self.gateway.accounts:
            if group_name in a.groups or (isinstance(group, ClassGroup) and group.point in a.points):
                return a.name
        return ""

    def account(self, name: str) -> Account:
        found = next((a for a in self.gateway.accounts if a.name == name), None)
        if found is None:
            known = ", ".join(a.name for a in self.gateway.accounts) or "(none configured)"
            raise ValueError(f"unknown account {name!r}; gateway.accounts has: {known}")
        return found

    # -- helpers ---------------------------------------------------------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def path(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else Path(self.base_dir) / p

    def class_group(self, name: str) -> ClassGroup | None:
        return next((c for c in self.groups.classes if c.name == name), None)

    def all_groups(self) -> list[ClassGroup | CoordinatorGroup]:
        return [*self.groups.classes, *self.groups.coordinators]

    def group_by_topic(self, topic: str) -> ClassGroup | CoordinatorGroup | None:
        return next((g for g in self.all_groups() if g.topic == topic), None)

    def group_by_name(self, name: str) -> ClassGroup | CoordinatorGroup | None:
        return next((g for g in self.all_groups() if g.name == name), None)

    def effective_database_url(self) -> str:
        url = os.environ.get("DATABASE_URL") or self.database_url
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and ":memory:" not in url:
            url = "sqlite:///" + str(self.path(url[len("sqlite:///"):]))
        return url


class _PathError(ValueError):
    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _at(path: tuple[str | int, ...], message: str) -> _PathError:
    return _PathError(path, message)


def _describe(err: Any) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see config.yaml in the repository for the known keys)"
    if kind == "missing":
        return "required key is missing"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return msg


def validate(located: Located, base_dir: str | Path = ".") -> Config:
    """Validate parsed YAML into a Config, converting the first problem into one readable ConfigError."""
    data = located.data
    if not isinstance(data, dict):
        raise YamlError(located.file, "the file must be a mapping of keys (school:, groups:, …)", "", 1)
    try:
        return Config.model_validate({**data, "base_dir": str(base_dir)})
    except ValidationError as exc:
        err = exc.errors()[0]
        ctx_error = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_error, _PathError):
            raise located.error(ctx_error.path, ctx_error.message) from None
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
        extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise located.error(loc, _describe(err) + extra) from None


def load_config(path: str | Path = "config.yaml") -> Config:
    """Load and validate config.yaml; relative paths in it are resolved from the file's folder."""
    p = Path(path)
    located = load_yaml(p)
    return validate(located, p.resolve().parent)


__all__ = ["Config", "ConfigError", "format_path", "load_config", "validate"]
