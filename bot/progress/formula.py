"""The 网上学习之星 formula from config.yaml: arithmetic over a student's figures, read safely (no eval).

    在线天数 + 行为次数 / 20 + 形考完成率 * 10 + 直播参与率 * 10

Names: 在线天数, 行为次数, 登录次数, 回帖数 (from the latest 网检 snapshot), 形考完成率 and 直播参与率 (0–1). Operators
+ - * / and brackets, numbers, and min(…)/max(…). A missing figure counts as 0.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping

VARIABLES = ("在线天数", "行为次数", "登录次数", "回帖数", "形考完成率", "直播参与率")
_OPS: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: lambda a, b: a / b if b else 0.0,
}
_FUNCS: dict[str, Callable[..., float]] = {"min": min, "max": max}

Formula = Callable[[Mapping[str, float]], float]


def compile_formula(text: str) -> Formula:
    """The formula as a function of a student's figures; ValueError naming what is wrong."""
    try:
        tree = ast.parse(text.replace("（", "(").replace("）", ")").replace("×", "*").replace("÷", "/"), mode="eval")
    except SyntaxError:
        raise ValueError(f"formula {text!r} is not arithmetic (e.g. 在线天数 + 行为次数 / 20)") from None

    def build(node: ast.AST) -> Formula:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            value = float(node.value)
            return lambda v: value
        if isinstance(node, ast.Name):
            if node.id not in VARIABLES:
                raise ValueError(f"formula: unknown name {node.id!r}; known: {', '.join(VARIABLES)}")
            name = node.id
            return lambda v: float(v.get(name, 0.0))
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            op, left, right = _OPS[type(node.op)], build(node.left), build(node.right)
            return lambda v: op(left(v), right(v))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = build(node.operand)
            return lambda v: -inner(v)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS
                and node.args and not node.keywords):
            fn, args = _FUNCS[node.func.id], [build(a) for a in node.args]
            return lambda v: float(fn(a(v) for a in args))
        raise ValueError(f"formula {text!r}: only numbers, the names {', '.join(VARIABLES)}, + - * / and "
                         "min()/max() are allowed")

    return build(tree.body)
