"""Alerts to the admins through a second channel (webhook, e-mail) when a WeChat account needs a person."""

from __future__ import annotations


def header(school: str, account: str) -> str:
    return f"【班助告警】{school}" + (f" · 账号 {account}" if account else "") + "\n"


LOGGED_OUT = "机器人微信已退出登录，提醒和回复都已停止。请尽快在服务器上重新登录（扫码），待发消息不会丢失。"
SCAN = "机器人微信需要扫码登录，提醒和回复都已停止。请用机器人的微信扫描二维码：{url}"
SENDS_FAILING = "机器人从 {since} 起一直发不出消息（最近的错误：{error}）。请检查微信是否被限制或掉线。"
SILENT = ("机器人显示在线，但从 {since} 起没有收到也没有发出任何消息，还有 {waiting} 条待发。"
          "已自动重新连接；如果仍无消息，请检查微信账号。")
