"""Making the published wechaty 0.10.7 importable on Python 3.11+. Import wechaty only through this module.

wechaty 0.10.7 declares `WechatyOptions.puppet_options: PuppetOptions = PuppetOptions()`, a dataclass field whose
default is an instance of another (unhashable, non-frozen) dataclass. Python 3.11 rejects that at class creation
("mutable default ... is not allowed: use default_factory"), because it treats any unhashable default as mutable.
Giving PuppetOptions an identity hash before wechaty is imported is enough: the default is then accepted, and no
option object is shared between bots because we always pass our own PuppetOptions. The package's other two
incompatibilities are pinned in pyproject.toml: pyee<9 (AsyncIOEventEmitter) and urllib3<2 (get_host).
"""

from __future__ import annotations

from wechaty_puppet.schemas.puppet import PuppetOptions

PuppetOptions.__hash__ = object.__hash__  # type: ignore[assignment,method-assign,unused-ignore]  # untyped lib

import wechaty  # noqa: E402
from wechaty import Contact, FriendshipType, Message, MessageType, Room, Wechaty, WechatyOptions  # noqa: E402
from wechaty_puppet import FileBox  # noqa: E402

__all__ = ["Contact", "FileBox", "FriendshipType", "Message", "MessageType", "PuppetOptions", "Room", "Wechaty",
           "WechatyOptions", "wechaty"]
