"""Config validation: one readable error naming the file, the key path and the line."""

from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import ConfigError, load_config
from tests.conftest import ROOT

GOOD = (ROOT / "config.yaml").read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def error_of(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, text))
    return exc.value


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_sample_config_is_valid():
    cfg = load_config(ROOT / "config.yaml")
    assert len(cfg.groups.classes) >= 4 and len(cfg.teaching_points) >= 2 and cfg.groups.coordinators
    assert cfg.quiet_hours.start.hour == 22 and cfg.timezone == "Asia/Shanghai"


def test_malformed_yaml_names_file_and_line(tmp_path):
    text = GOOD.replace("school: 示例开放大学（城区分校）", "school: [示例开放大学")
    err = error_of(tmp_path, text)
    assert "config.yaml" in str(err) and "malformed YAML" in str(err) and err.line


def test_unknown_key_is_refused_with_its_path_and_line(tmp_path):
    text = GOOD.replace("  min_interval: 3s", "  min_interval: 3s\n  min_intervall: 5s")
    err = error_of(tmp_path, text)
    assert err.key == "outbox.min_intervall"
    assert err.line == line_of(text, "min_intervall")
    assert "unknown key" in str(err)


def test_duplicate_key_is_refused_not_silently_overwritten(tmp_path):
    text = GOOD.replace("timezone: Asia/Shanghai", "timezone: Asia/Shanghai\ntimezone: UTC")
    err = error_of(tmp_path, text)
    assert "duplicate key 'timezone'" in str(err) and err.line == line_of(text, "timezone: UTC")


def test_clock_time_is_not_read_as_sexagesimal(tmp_path):
    text = GOOD.replace('start: "22:00"', "start: 22:00")
    cfg = load_config(write(tmp_path, text))
    assert cfg.quiet_hours.start.hour == 22  # PyYAML 1.1 would have made this 1320


def test_no_is_not_false(tmp_path):
    text = GOOD.replace("school: 示例开放大学（城区分校）", "school: no")
    assert load_config(write(tmp_path, text)).school == "no"


def test_bad_duration_points_at_its_key(tmp_path):
    text = GOOD.replace("  jitter: 2s", "  jitter: two seconds")
    err = error_of(tmp_path, text)
    assert err.key == "outbox.jitter" and err.line == line_of(text, "jitter: two")


def test_unknown_teaching_point_in_a_class(tmp_path):
    text = GOOD.replace("point: 清苑, major: 法学", "point: 西郊, major: 法学")
    err = error_of(tmp_path, text)
    assert err.key == "groups.classes[3].point" and "西郊" in str(err)
    assert err.line == line_of(text, "西郊")


def test_topic_used_twice(tmp_path):
    text = GOOD.replace("topic: 2024秋行政管理2班", "topic: 2024秋行政管理1班")
    err = error_of(tmp_path, text)
    assert err.key == "groups.classes[1].topic" and "already used" in str(err)


def test_missing_required_section(tmp_path):
    text = GOOD.replace("teaching_points: [城区, 清苑]\n", "")
    err = error_of(tmp_path, text)
    assert err.key == "teaching_points" and "missing" in str(err)


def test_check_command_refuses_bad_config_with_one_line(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace("kind: console ", "kind: telegram "))
    assert main(["--config", str(path), "check"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "gateway.kind" in err[0] and f"line {line_of(GOOD, 'kind: console')}" in err[0]


def test_run_refuses_to_start_on_bad_config(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace("max_chars: 1500", "max_chars: 10"))
    assert main(["--config", str(path), "run"]) == 2
    assert "outbox.max_chars" in capsys.readouterr().err


def test_check_reports_missing_data_file(tmp_path, capsys):
    text = GOOD.replace("handbook: data/handbook.md", "handbook: data/nope.md")
    path = write(tmp_path, text)
    (tmp_path / "data").symlink_to(ROOT / "data")
    assert main(["--config", str(path), "check"]) == 2
    assert "files.handbook" in capsys.readouterr().err


def test_check_passes_on_sample(capsys):
    assert main(["--config", str(ROOT / "config.yaml"), "check"]) == 0
    assert "OK" in capsys.readouterr().out
