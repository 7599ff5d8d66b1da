"""The importer registry on both databases: the best fit takes a file, a tie takes nothing, rights are checked
again at 导入."""

from dataclasses import dataclass

from bot.clock import VirtualClock
from bot.people import Person, Role
from bot.uploads import Fit, Imported, Outcome, Uploads
from tests.conftest import START


@dataclass
class Fake:
    name: str
    fit: Fit
    roles: Role = Role.STAFF
    title: str = ""
    label: str = ""
    suffixes: tuple[str, ...] = (".csv",)
    scoped: bool = False

    def __post_init__(self) -> None:
        self.title = self.label = self.name

    def recognises(self, path, sheets, file_name) -> Fit:
        return self.fit

    def run(self, path, *, file_name, actor, classes, dry_run) -> Imported:
        return Imported(f"{self.name} {'dry' if dry_run else 'done'}", True)


TEACHER = Person("t", "王老师", Role.TEACHER, frozenset({"行管1班"}))


def registry(config, db, tmp_path, *importers) -> Uploads:
    cfg = config.model_copy(update={"files": config.files.model_copy(update={"uploads": str(tmp_path / "up")})})
    return Uploads(db, VirtualClock(START), cfg, list(importers))


def test_the_best_fit_wins_and_a_tie_is_refused(config, database, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("x,y\n1,2\n", encoding="utf-8")
    got = registry(config, database, tmp_path, Fake("甲", Fit.NAMED), Fake("乙", Fit.COLUMNS)).receive(
        TEACHER, path, "a.csv", START)
    assert got.outcome == Outcome.CHECKED and got.text == "乙 dry"
    tie = registry(config, database, tmp_path, Fake("甲", Fit.EXACT), Fake("乙", Fit.EXACT)).receive(
        TEACHER, path, "a.csv", START)
    assert tie.outcome == Outcome.UNKNOWN and tie.text.startswith("这个文件（a.csv）看不出是甲还是乙，没有导入")
    none = registry(config, database, tmp_path, Fake("甲", Fit.NO), Fake("丙", Fit.NO, roles=Role.ADMIN)).receive(
        TEACHER, path, "a.csv", START)
    assert none.text == "这个文件（a.csv）我还不认识，目前可以导入的是：甲。"  # only what this sender may import
    assert len(list((tmp_path / "up").glob("*/*"))) == 1  # only the checked file is kept


def test_rights_are_checked_again_at_import(config, database, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("x,y\n1,2\n", encoding="utf-8")
    uploads = registry(config, database, tmp_path, Fake("甲", Fit.EXACT, roles=Role.TEACHER | Role.ADMIN))
    got = uploads.receive(TEACHER, path, "a.csv", START)
    assert got.outcome == Outcome.CHECKED
    uploads.importers[0].roles = Role.ADMIN  # e.g. the rules changed between the check and 导入
    assert uploads.run(TEACHER, got.token).outcome == Outcome.NOT_ALLOWED
