"""The 数据通报's chart: per teaching point (or class, when there are few), 形考 completion, 直播 participation and
the login rate side by side, in the bundled CJK font."""

from __future__ import annotations

from pathlib import Path

from bot.digests.chart import cjk_font, plt
from bot.progress.report import Figures, Month

SERIES = (("形考完成率", "#5b9bd5"), ("直播参与率", "#70ad47"), ("上线比例", "#ed7d31"))


def _values(f: Figures) -> list[float | None]:
    return [f.homework.rate, f.live.rate, f.online.login_rate]


def progress_chart(month: Month, title: str, out: Path) -> Path:
    classes = sorted(month.classes.values(), key=lambda f: f.name)
    items = classes if len(classes) <= 12 else sorted(month.points().values(), key=lambda f: f.name)
    items = [f for f in items if f.has_data] or items
    labels = [f.name for f in items]
    family = cjk_font()
    height = max(2.8, 0.6 * len(labels) + 1.4)
    bar = 0.8 / len(SERIES)
    with plt.rc_context({"font.family": family, "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=(7.5, height), dpi=110)
        for k, (name, color) in enumerate(SERIES):
            values = [_values(f)[k] for f in items]
            ys = [i + (k - 1) * bar for i in range(len(items))]
            ax.barh(ys, [v * 100 if v is not None else 0 for v in values], height=bar, color=color, label=name)
            for y, v in zip(ys, values, strict=True):
                if v is not None:
                    ax.text(v * 100 + 1, y, f"{v:.0%}", va="center", fontsize=7)
        ax.set_yticks(range(len(items)), labels)
        ax.set_xlim(0, 115)
        ax.set_xlabel("%")
        ax.set_title(title)
        ax.invert_yaxis()
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(SERIES), fontsize=8, frameon=False)
        fig.tight_layout()
        fig.savefig(out)
        plt.close(fig)
    return out
