"""Settings are resolved and validated in one place (pulumi_vpsorg.settings): a bad value is refused naming its
variable and rule, before any request."""

from __future__ import annotations

import logging

import pytest

from pulumi_vpsorg import settings
from pulumi_vpsorg.errors import ConfigurationError


@pytest.mark.parametrize(
    ("env", "value", "rule"),
    [
        ("VPSORG_READ_MAX_AGE", "-1", "a number of seconds from 0 up"),
        ("VPSORG_HOST_THREADS", "2.5", "a whole number of threads from 0 up"),
        ("VPSORG_HOST_THREADS", "many", "a whole number of threads from 0 up"),
    ],
)
def test_a_bad_tuning_value_is_refused_naming_the_variable_and_its_rule(env, value, rule):
    with pytest.raises(ConfigurationError, match=f"{env} must be {rule} \\(got '{value}'\\)"):
        settings.tuning({env: value})


def test_tuning_defaults_and_values():
    assert settings.tuning({}) == settings.Tuning(60.0, None, 4096, 60.0)
    given = {"VPSORG_READ_MAX_AGE": "0", "VPSORG_LOCK_DIR": "/x", "VPSORG_HOST_THREADS": "0"}
    assert settings.tuning({**given, "VPSORG_PROGRESS_SECONDS": "5"}) == settings.Tuning(0.0, "/x", 0, 5.0)


def test_a_bad_progress_interval_warns_once_and_keeps_the_default(caplog):
    with caplog.at_level(logging.WARNING, logger="pulumi_vpsorg"):
        for _ in range(3):
            assert settings.tuning({"VPSORG_PROGRESS_SECONDS": "soon"}).progress_seconds == 60.0
    assert [r.getMessage() for r in caplog.records] == [
        "VPSORG_PROGRESS_SECONDS='soon' is not a number of seconds above 0: progress lines come every 60s"
    ]


def test_a_connection_takes_what_is_given_then_the_environment():
    env = {"VPSORG_TOKEN": "env-token", "VPSORG_ENDPOINT": "http://localhost:9/api/v1/", "VPSORG_MAX_RPS": "3"}
    found = settings.connection(environ=env)
    assert (found.token, found.endpoint, found.max_rps) == ("env-token", "http://localhost:9/api/v1", 3.0)
    assert found.key == settings.connection(endpoint="http://127.0.0.1:9/api/v1", environ={}).key
    given = settings.connection("t", "https://example.org/api", "0", environ=env)
    assert (given.token, given.endpoint, given.max_rps) == ("t", "https://example.org/api", 0.0)
    with pytest.raises(ConfigurationError, match="vpsorg:maxRequestsPerSecond or VPSORG_MAX_RPS"):
        settings.connection(environ={"VPSORG_MAX_RPS": "fast"})
