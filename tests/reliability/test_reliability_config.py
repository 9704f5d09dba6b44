"""Bad experiment configs (tests/corpus/configs): each is one ConfigError naming the key,
raised before any work; YAML object tags are refused, never run."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from forewarn.flows.experiment import ConfigError, load_experiment
from tests.corpus.configs import CONFIG_CASES, EXECUTED_MARKER, FOLDER


def test_every_stored_config_is_in_the_table() -> None:
    assert sorted(p.name for p in FOLDER.iterdir()) == sorted(CONFIG_CASES)
    kinds = {kind for kind, _ in CONFIG_CASES.values()}
    assert {"negative durations in config", "config with unknown keys", "YAML object tags"} <= kinds


@pytest.mark.parametrize("name", sorted(CONFIG_CASES))
def test_bad_config_is_one_clear_error(name: str) -> None:
    started = time.monotonic()
    with pytest.raises(ConfigError) as info:
        load_experiment(FOLDER / name)
    message = str(info.value)
    assert message.startswith(str(FOLDER / name)), message
    for fragment in CONFIG_CASES[name][1]:
        assert fragment in message, message
    assert time.monotonic() - started < 5  # an alias bomb must not be walked
    assert not EXECUTED_MARKER.exists()


def test_python_object_tag_is_refused_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "evil.yaml"
    path.write_text(f'name: !!python/object/apply:os.system ["touch {marker}"]\n')
    with pytest.raises(ConfigError, match="python/object/apply"):
        load_experiment(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("exp.toml", "[labels]\nhorizon = '7d'\n".encode("utf-16")),
        ("exp.yaml", "name: caf\xe9\n".encode("latin-1")),
    ],
)
def test_non_utf8_config_is_a_config_error(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="cannot parse"):
        load_experiment(path)


def test_missing_config_names_the_shipped_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not found.*shipped: .*default"):
        load_experiment(tmp_path / "nope.toml")
