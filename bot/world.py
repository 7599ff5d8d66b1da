"""The default little world for the console and `simulate`: the configured groups with their staff and students."""

from __future__ import annotations

from typing import Any

from bot.config import Config
from bot.models import Student

STUDENTS_PER_ROOM = 6


def default_rooms(config: Config, students: list[Student], per_room: int = STUDENTS_PER_ROOM) -> list[dict[str, Any]]:
    """Room specs ({topic, group, members}) for every configured group."""
    rooms: list[dict[str, Any]] = []
    staff = [s for s in config.staff if s.id]
    for c in config.groups.classes:
        members: list[dict[str, Any]] = [
            {"name": s.name, "id": s.id, "role": s.role} for s in staff
            if s.role == "teacher" and (c.name in s.classes or c.advisor == s.name)]
        own = [st for st in students if st.class_name == c.name][:per_room]
        members += [{"name": st.name, "id": f"wxid_{st.student_no}", "alias": f"{st.name}-{st.student_no}"}
                    for st in own]
        if not own:
            members += [{"name": n, "id": f"wxid_{c.name}_{i}"} for i, n in enumerate(("张三", "李四", "王五"))]
        rooms.append({"topic": c.topic, "group": c.name, "members": members})
    for g in config.groups.coordinators:
        members = [{"name": s.name, "id": s.id, "role": s.role} for s in staff if s.role in ("coordinator", "admin")]
        members += [{"name": s.name, "id": s.id, "role": s.role} for s in staff if s.role == "teacher"]
        rooms.append({"topic": g.topic, "group": g.name, "members": members})
    return rooms
