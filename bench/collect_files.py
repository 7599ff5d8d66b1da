"""A class sends its photos for a /收集: every file through the real router, storage and pacing (the scripted chat on a
virtual clock), then /导出 zips them for the teacher. Printed beside baselines measured in the same run on the same
files: copying each file once (what saving it cannot avoid), each student's “收到” to a /通知 through the same chat
(what any message costs there), and zipping the files with zipfile alone.

    python bench/collect_files.py [--students 200] [--mb 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_config  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.models import Student  # noqa: E402
from bot.simulation import Chat  # noqa: E402

START = datetime(2026, 9, 7, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


async def run(students: int, mb: float, tmp: Path) -> None:
    cfg = load_config(ROOT / "config.yaml")
    files = cfg.files.model_copy(update={"exports": str(tmp / "exports"), "collections": str(tmp / "collections"),
                                         "uploads": str(tmp / "uploads"), "calendar": str(tmp / "calendar.yaml")})
    (tmp / "calendar.yaml").write_text("events: []\n", encoding="utf-8")
    cfg = cfg.model_copy(update={"files": files, "collections": cfg.collections.model_copy(update={"max_mb": 50})})
    db = Database(f"sqlite:///{tmp / 'bench.db'}")
    chat = Chat(cfg, START, db=db)
    members = [{"name": "王老师", "id": "wxid_wang", "role": "teacher"}]
    with db.tx() as s:
        for i in range(students):
            no = f"2024110{i:04d}"
            s.add(Student(student_no=no, name=f"学生{i}", class_name="行管1班", point="城区"))
            members.append({"name": f"学生{i}", "id": f"wxid_{i}", "alias": f"学生{i}-{no}"})
    chat.add_room("2024秋行政管理1班", members)
    await chat.start()
    sent = tmp / "sent"
    sent.mkdir()
    paths = []
    for i in range(students):
        p = sent / f"IMG_{i:04d}.jpg"
        p.write_bytes(os.urandom(int(mb * 1024 * 1024)))
        paths.append(p)

    t = time.perf_counter()
    copies = tmp / "copies"
    copies.mkdir()
    for p in paths:
        shutil.copyfile(p, copies / p.name)
    copy_s = time.perf_counter() - t

    await chat.say("王老师", "行管1班", "/通知 周五前核对学籍信息")
    t = time.perf_counter()
    for i in range(students):
        assert await chat.say(f"学生{i}", "行管1班", "收到") == []
    ack_s = time.perf_counter() - t

    await chat.say("王老师", "行管1班", "/收集 截止 周五18:00 毕业电子照片（白底）")
    t = time.perf_counter()
    for i, p in enumerate(paths):
        [reply] = await chat.say(f"学生{i}", "行管1班", "", kind="image", file_path=str(p), file_name=p.name)
        assert "已记为提交" in reply.text, reply.text
    submit_s = time.perf_counter() - t

    t = time.perf_counter()
    with zipfile.ZipFile(tmp / "plain.zip", "w") as z:
        for p in paths:
            z.write(p, p.name, compress_type=zipfile.ZIP_STORED)
    zip_s = time.perf_counter() - t
    t = time.perf_counter()
    note, zipped, _told = await chat.say("王老师", "行管1班", "/导出")
    export_s = time.perf_counter() - t
    with zipfile.ZipFile(zipped.message.file_path) as z:
        assert len(z.namelist()) == students + 1
    assert f"（{students} 份）" in note.text
    chat.close()

    size = students * mb
    print(f"{students} students x {mb:g} MB ({size:.0f} MB)")
    print(f"baseline: copy each file once          {copy_s:7.2f} s  ({copy_s / students * 1000:6.1f} ms/file)")
    print(f"baseline: 收到 through the same chat    {ack_s:7.2f} s  ({ack_s / students * 1000:6.1f} ms/message)")
    print(f"submit through the chat (save + ack    {submit_s:7.2f} s  ({submit_s / students * 1000:6.1f} ms/file), "
          f"{submit_s / ack_s:.1f}x a 收到")
    print("  + the paced confirmation)")
    print(f"baseline: zipfile alone                {zip_s:7.2f} s")
    print(f"/导出 (status workbook + zip + reply)    {export_s:7.2f} s, {export_s / zip_s:.2f}x zipfile alone")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=200)
    ap.add_argument("--mb", type=float, default=2.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="banzhu-collect-") as tmp:
        asyncio.run(run(args.students, args.mb, Path(tmp)))


if __name__ == "__main__":
    main()
