"""A bar chart of acknowledgement rates, with Chinese labels drawn in a real CJK font.

The font (Noto Sans CJK SC) comes from the `mplfonts` wheel that the project installs; it is registered with
matplotlib from its file, so no system font and no download is needed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register the bundled CJK font and return its family name."""
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def rate_chart(title: str, labels: list[str], rates: list[float | None], out: Path) -> Path:
    """Horizontal bars, one per class or teaching point, rate as a percentage."""
    family = cjk_font()
    values = [r * 100 if r is not None else 0 for r in rates]
    height = max(2.5, 0.45 * len(labels) + 1.2)
    with plt.rc_context({"font.family": family, "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=(7, height), dpi=110)
        colors = ["#d9534f" if v < 60 else "#f0ad4e" if v < 85 else "#5cb85c" for v in values]
        bars = ax.barh(labels, values, color=colors)
        for bar, r in zip(bars, rates, strict=True):
            ax.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2,
                    "无通知" if r is None else f"{r:.0%}", va="center", fontsize=9)
        ax.set_xlim(0, 110)
        ax.set_xlabel("确认率（%）")
        ax.set_title(title)
        ax.invert_yaxis()
        fig.tight_layout()
        fig.savefig(out)
        plt.close(fig)
    return out
