"""Every domain error, in one place: each says what went wrong in words a resident can read.

A page catches ``PortalError`` once and hands it to ``lib.core.ui.show_error``, which places a
``ValidationError``'s messages beside their fields and shows any other error's ``str()``.
"""
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


# --- logging in ---------------------------------------------------------------------------


class LoginFailed(PortalError):
    """Wrong username or password: one message for both, so it tells nobody which names exist."""

    MESSAGE = "用户名或密码错误。"

    def __init__(self):
        super().__init__(self.MESSAGE)


class LoginThrottled(PortalError):
    """Too many recent failures: this attempt was not even checked; try after ``retry_after`` s."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(f"尝试次数较多，为保护账号，请 {retry_after} 秒后再试。")


# --- reports --------------------------------------------------------------------------------


class InvalidTransition(PortalError):
    """The report's current status does not allow this step."""


class RateLimited(PortalError):
    """Too many reports from one person in a short time."""


# --- photos and backups ------------------------------------------------------------------


class PhotoRejected(ValidationError):
    """An upload that is not a usable photo; ``reason`` is a stable code, the message is Chinese."""

    MESSAGES = {
        "empty": "没有收到照片：文件是空的，请重新选择",
        "too_large": "照片不能超过 10 MB",
        "not_an_image": "文件不是照片，请上传 JPG、PNG 或 WEBP 格式的图片",
        "heic": "暂不支持 iPhone 的 HEIC 格式照片：请在“设置 > 相机 > 格式”中选择“兼容性最佳”，"
                "或截图后上传截图，或转成 JPG 再上传",
        "too_many_pixels": "照片像素太多（超过 5000 万），请缩小后再上传",
        "lossless_too_many_pixels": "PNG 或 WEBP 图片像素太多，请缩小、截图或转成 JPG 后再上传",
        "busy": "服务器繁忙，正在处理其他照片，请稍后再试",
        "bomb": "照片尺寸大得异常，可能是有问题的文件，请换一张照片",
        "corrupt": "照片文件不完整或已损坏，请重新拍摄或选择",
    }

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__({"photo": self.MESSAGES[reason]})


class BackupError(ValidationError):
    """A backup or restore that cannot go ahead; the message says why in Chinese and English."""

    def __init__(self, chinese: str, english: str):
        self.english = english
        super().__init__({"backup": chinese})
