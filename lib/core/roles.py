"""Who is acting, and what their role and scope allow. Every lib write checks these."""
from __future__ import annotations

from dataclasses import dataclass

from lib.core.errors import PermissionDenied


GUEST, RESIDENT, LEADER, STAFF, ADMIN = "guest", "resident", "leader", "staff", "admin"
ROLE_RANK = {GUEST: 0, RESIDENT: 1, LEADER: 2, STAFF: 3, ADMIN: 4}
ROLE_LABELS = {
    GUEST: "访客",
    RESIDENT: "居民",
    LEADER: "微网格长",
    STAFF: "社区工作人员",
    ADMIN: "社区管理员",
}
ACCOUNT_ROLES = (RESIDENT, LEADER, STAFF, ADMIN)


@dataclass(frozen=True)
class User:
    """The acting user as read from the database on this run (never cached across runs)."""

    id: int | None
    username: str
    display_name: str
    role: str
    leads_microgrid_id: int | None = None
    household_id: int | None = None
    household_status: str = "none"
    mobile: str | None = None
    show_name_publicly: bool = True

    @property
    def is_guest(self) -> bool:
        return self.id is None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    def at_least(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


GUEST_USER = User(id=None, username="", display_name="访客", role=GUEST)


def require_role(actor: User | None, role: str) -> User:
    """Return the actor if their role is ``role`` or higher; raise PermissionDenied otherwise."""
    if actor is None or actor.is_guest:
        if role == GUEST:
            return actor or GUEST_USER
        raise PermissionDenied("请先登录。")
    if not actor.at_least(role):
        raise PermissionDenied(f"此操作需要{ROLE_LABELS[role]}权限。")
    return actor


def acting_for(actor: User | None, for_user_id: int | None, refusal: str) -> tuple[int, bool]:
    """Whom an action is for, and whether it is 代办: oneself, or (staff and up) someone else.

    Raises PermissionDenied: "请先登录。" for a guest, ``refusal`` when a resident or leader names
    another person.
    """
    actor = require_role(actor, RESIDENT)
    proxy = for_user_id is not None and for_user_id != actor.id
    if proxy and not actor.at_least(STAFF):
        raise PermissionDenied(refusal)
    return (for_user_id if proxy else actor.id), proxy  # type: ignore[return-value]


def can_manage_microgrid(actor: User | None, microgrid_id: int | None) -> bool:
    """Staff and admins act everywhere; a leader only within the micro-grid they lead."""
    if actor is None or actor.is_guest:
        return False
    if actor.at_least(STAFF):
        return True
    return actor.role == LEADER and microgrid_id is not None and actor.leads_microgrid_id == microgrid_id
