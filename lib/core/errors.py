"""Domain exceptions: each says what went wrong in words a resident can read."""
from __future__ import annotations


class PortalError(Exception):
    """Base class; ``str(error)`` is a Chinese message fit to show the user."""


class ValidationError(PortalError):
    """Input was refused; ``fields`` maps a field name to its message so a page can place it."""

    def __init__(self, fields: dict[str, str] | str):
        if isinstance(fields, str):
            fields = {"_": fields}
        self.fields = fields
        super().__init__("；".join(fields.values()))


class PermissionDenied(PortalError):
    """The acting user's role or scope does not allow this action."""

    def __init__(self, message: str = "您没有权限执行此操作。"):
        super().__init__(message)


class NotFound(PortalError):
    """The thing asked for does not exist."""


class InsufficientPoints(PortalError):
    """A spend would take a balance below zero."""
