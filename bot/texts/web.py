"""What the web console (后台) says: the /后台 reply in chat, and the console's messages and errors. The page
labels live in the templates (bot/web/templates), which are the console's presentation."""

from __future__ import annotations

LINK = ("后台登录链接（{minutes}分钟内有效，只能使用一次，请勿转发）：\n{url}\n"
        "登录后 {hours} 小时内有效，范围与您在群里的权限相同。")

LOGIN_UNKNOWN = "这个登录链接无效。请在私聊中给班助发送 /后台 获取新链接。"
LOGIN_USED = "这个登录链接已经用过了（每个链接只能用一次）。请在私聊中给班助发送 /后台 获取新链接。"
LOGIN_EXPIRED = "这个登录链接已过期（{minutes}分钟内有效）。请在私聊中给班助发送 /后台 获取新链接。"
LOGIN_NOT_STAFF = "您的后台权限已被收回，如有疑问请联系管理员。"
LOGGED_OUT = "已退出登录。"
NEED_LOGIN = "请先登录：在微信里私聊班助发送 /后台，点开收到的链接。"
NOT_FOUND = "没有找到这个页面，或它不在您负责的范围内。"
FORBIDDEN = "这个操作需要{role}权限。"
CSRF = "表单已失效（可能停留太久或在别处打开），请返回刷新页面后重试。"
BAD_ORIGIN = "请求来源不对，已拒绝。"
TOO_LARGE = "文件太大（上限 {mb} MB）。"
WRONG_TYPE = "不支持这种文件：{name}。请上传 {allowed} 文件。"
NO_FILE = "请选择要上传的文件。"
UNREADABLE = "文件读不出来：{error}"
UPLOAD_GONE = "上传的文件已失效（超过30分钟或已导入），请重新上传。"
SERVER_ERROR = "抱歉，出了点问题，已记录。请稍后再试。"

ANSWER_EMPTY = "请填写回复内容。"
ANSWER_POSTED = "已在{where}回复{student}。"
FAQ_ADDED = "已添加问答 #{id}，同学问到就会自动回答。"
FAQ_SAVED = "已保存问答 #{id}。"
FAQ_DELETED = "已删除问答 #{id}。"
FAQ_EMPTY = "问题和答案都要填写。"
PHRASING_ADDED = "已添加问法：同学说“{word}”时按“{means}”理解。"
PHRASING_EMPTY = "两个词都要填写。"
PHRASING_DELETED = "已删除问法“{word}”。"

EVENT_SAVED = "已保存“{title}”。"
EVENT_DELETED = "已删除“{title}”。"
EVENT_READONLY = "这条安排来自 {source}，请在该文件中修改。"
EVENT_NOT_YOURS = "您只能安排自己负责的班级或教学点。"
EVENT_FIELD = {"type": "类型", "title": "标题", "start": "开始时间", "time": "开始时间", "deadline": "截止时间",
               "targets": "对象", "remind": "提醒", "until": "每周重复至", "weekly": "每周重复至", "link": "链接",
               "place": "地点", "teacher": "主讲", "notes": "备注", "": "安排"}

IMPORT_DONE = "已导入。"
NUDGED = "已在{group}提醒 {n} 位同学。"
NUDGE_NONE = "大家都已确认，不用提醒。"
ANSWERED_ALREADY = "这个问题已经回复过了。"
CLOSED = "已将问题 #{id} 标为已处理。"

PERIODS = {"week": "本周", "month": "本月", "30d": "近30天", "90d": "近90天"}
PROGRESS_MONTHS = {"this": "本月至今", "last": "上月"}
PROGRESS_MONTH_WORDS = {"this": "本月", "last": "上月"}  # as /汇总 进度 says them (Progress.month_bounds)
STUDENT_STATES = {"all": "全部", "behind": "有未确认", "out": "未进群", "unbound": "未匹配花名册"}
PROGRESS_FILTERS = {"all": "全部", "ok": "正常", "behind": "落后", "risk": "需重点关注"}  # students' learning status
FOLLOW_EMPTY = "请写下联系情况，例如：电话联系，答应周五前补交。"
TOTAL = "合计"
OVERVIEW_SHEETS = ("教学点", "班级")
OVERVIEW_HEAD = ["排名", "名称", "教学点", "确认率", "上期确认率", "通知数", "应确认", "已确认", "逾期确认", "未答问题",
                 "提醒按时", "提醒补发", "提醒跳过", "未进群"]

IMPORT_KINDS = {
    "roster": ("花名册", "列：学号、姓名、班级、教学点（可选 手机、专业、年级）"),
    "calendar": ("日程（直播课表 / 校历）", "直播课表列：课程名称、直播时间、主讲教师、直播链接（可选 专业、班级、教学点）；或 .ics 日历"),
    "progress": ("学习进度", "国开学习网导出的形考、网检、直播、选课、报考、预警名单，或腾讯会议参会名单；"
                            "与私聊发给班助的文件同样检查，只导入您负责的班级"),
}

# The calendar validator's words (bot/calendar/events.py, for operators editing YAML) in the console's language.
EVENT_ERRORS = (("type must be one of", "请选择类型"), ("an event needs a title", "请填写标题"),
                ("not a date and time", "时间格式不对，例如 2026-09-15 19:30"),
                ("needs time:, start: or deadline:", "开始时间和截止时间至少填一个"),
                ("deadline is before start", "截止时间早于开始时间"), ("unknown point", "没有这个教学点"),
                ("unknown class", "没有这个班级"), ("unknown major", "没有这个专业"), ("unknown grade", "没有这个年级"),
                ("a weekly event needs until", "每周重复需要填写最后一次的日期"), ("not yours", EVENT_NOT_YOURS),
                ("not a duration", "提醒时间格式不对，例如 3d, 1d, 3h, 30m"))
