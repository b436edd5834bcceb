"""Settings: defaults < ASSISTANT_* environment < explicit arguments; unknown names are errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import ConfigError, Settings


def test_environment_overrides_defaults_and_arguments_override_environment():
    env = {"ASSISTANT_TOP_K": "5", "ASSISTANT_INDEX_DIR": "/tmp/x", "PATH": "/bin"}
    assert Settings.load(env=env).top_k == 5
    assert Settings.load(env=env).index_dir == Path("/tmp/x")
    assert Settings.load(env=env, top_k=2).top_k == 2


@pytest.mark.parametrize(
    "env,message",
    [
        ({"ASSISTANT_TOPK": "3"}, "unknown setting ASSISTANT_TOPK"),
        ({"ASSISTANT_TOP_K": "many"}, "must be a int"),
        ({"ASSISTANT_ANSWER_MODE": "magic"}, "answer_mode"),
        ({"ASSISTANT_CHUNK_OVERLAP": "900"}, "chunk_overlap"),
    ],
)
def test_bad_settings_are_errors_that_name_the_value(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.load(env=env)


def test_api_key_never_appears_in_repr():
    s = Settings.load(env={"ASSISTANT_LLM_API_KEY": "sk-secret-123"})
    assert s.llm_api_key == "sk-secret-123"
    assert "sk-secret-123" not in repr(s)
