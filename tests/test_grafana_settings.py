"""Connection settings and normalisation: the pieces a push rests on."""

from __future__ import annotations

import argparse
import copy
import json

import pytest
from grafana_builds import dashboard_model, rule_group

from agentgrafana.grafana import GrafanaSettings, SettingsError, settings_from_args
from agentgrafana.grafana.commands import add_connection_arguments
from agentgrafana.grafana.normalize import (
    HASH_TAG_PREFIX,
    OWNER_TAG,
    dashboard_content_hash,
    normalize_dashboard,
    normalize_rule_group,
    normalized_content_hash,
    owned_dashboard,
    parse_duration,
    recorded_hash,
    rule_fields,
    with_ownership_tags,
)
from agentgrafana.grafana.plan import desired_rule_group
from agentgrafana.grafana.settings import DEFAULT_CONCURRENCY

SECRET = "glsa_settings_secret_0011223344556677"


def args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_connection_arguments(parser)
    return parser.parse_args(list(argv))


def test_flags_win_over_environment():
    env = {
        "GRAFANA_URL": "https://env.example.com/",
        "GRAFANA_TOKEN": f" {SECRET}\n",
        "GRAFANA_ORG_ID": "2",
        "GRAFANA_CA_BUNDLE": "",
    }
    s = settings_from_args(
        args(
            "--url",
            "https://flag.example.com/grafana/",
            "--org-id",
            "5",
            "--timeout",
            "3",
            "--concurrency",
            "8",
            "--format",
            "json",
        ),
        env,
    )
    assert (s.url, s.org_id, s.timeout, s.concurrency, s.output_format) == (
        "https://flag.example.com/grafana",
        5,
        3.0,
        8,
        "json",
    )
    assert s.token == SECRET and s.verify is True
    assert settings_from_args(args(), env).url == "https://env.example.com"


def test_token_never_in_repr_or_str():
    s = GrafanaSettings(url="https://g.example.com", token=SECRET)
    assert SECRET not in repr(s) and SECRET not in str(s) and SECRET not in f"{s}" and "token='***'" in repr(s)
    basic = GrafanaSettings(url="https://g.example.com", user="admin", password="hunter2 ")
    assert "hunter2" not in repr(basic)
    assert basic.scrub("Authorization: Basic YWRtaW46aHVudGVyMiA=") == "Authorization: Basic ***"
    assert s.scrub(f"Bearer {SECRET}") == "Bearer ***"


def test_token_with_control_characters_is_refused_without_showing_it():
    with pytest.raises(SettingsError, match="printable ASCII") as info:
        GrafanaSettings(url="https://g.example.com", token="glsa_abc\ndef")
    assert "glsa_abc" not in str(info.value)


def test_tls_options():
    assert GrafanaSettings(url="https://g", insecure_skip_verify=True).verify is False
    with pytest.raises(SettingsError, match="contradict"):
        GrafanaSettings(url="https://g", insecure_skip_verify=True, ca_bundle=__file__)
    assert GrafanaSettings(url="https://g", ca_bundle=__file__).verify == __file__


@pytest.mark.parametrize(
    "url, allowed",
    [
        ("http://127.0.0.1:3000", True),
        ("http://localhost:3000", True),
        ("http://[::1]:3000", True),
        ("http://127.8.9.1", True),
        ("https://grafana.example.com", True),
        ("http://grafana.example.com", False),
        ("http://10.0.0.5:3000", False),
        ("http://localhost.example.com", False),
    ],
)
def test_credentials_over_plain_http_only_to_loopback(url, allowed):
    if allowed:
        GrafanaSettings(url=url, token=SECRET)
    else:
        with pytest.raises(SettingsError, match="refusing to send credentials") as info:
            GrafanaSettings(url=url, token=SECRET)
        assert SECRET not in str(info.value)
        GrafanaSettings(url=url, token=SECRET, allow_insecure_http=True)
        GrafanaSettings(url=url)  # anonymous is fine


def test_normalised_dashboard_ignores_what_grafana_adds():
    ours = with_ownership_tags(dashboard_model("d1", "One"))
    live = {
        **ours,
        "id": 17,
        "version": 9,
        "weekStart": "",
        "liveNow": False,
        "links": [],
        "gnetId": None,
        "tags": list(reversed(ours["tags"])),
    }
    live["panels"] = [{**ours["panels"][0], "pluginVersion": "11.6.0", "description": ""}]
    live["annotations"] = {"list": [{"builtIn": 1, "name": "Annotations & Alerts", "enable": True}]}
    live["panels"][0]["fieldConfig"]["defaults"]["min"] = 0  # Go writes 0.0 as 0
    assert normalize_dashboard(live) == normalize_dashboard(ours)
    assert recorded_hash(live) == dashboard_content_hash(live)
    assert normalize_dashboard({**ours, "editable": False}) != normalize_dashboard(ours)


def odd_dashboards() -> list[dict]:
    """Dashboards covering the normalisation cases: tags absent or only hash tags, defaults, built-in annotations."""
    base = dashboard_model("d1", "One")
    ui = {**copy.deepcopy(base), "id": 3, "version": 7, "weekStart": "", "links": [], "tags": ["b", "a", "b"]}
    ui["annotations"] = {"list": [{"builtIn": 1, "name": "Annotations & Alerts"}, {"name": "Deploys"}]}
    ui["panels"].append({"type": "row", "collapsed": True, "panels": [{"id": 9, "pluginVersion": "11.6.0"}]})
    return [
        base,
        ui,
        {"title": "No tags"},
        {"title": "Hash only", "tags": [HASH_TAG_PREFIX + "0123456789ab"]},
        {"title": "Empty tags", "tags": [], "refresh": "", "graphTooltip": 0.0},
    ]


@pytest.mark.parametrize("model", odd_dashboards(), ids=lambda m: m["title"])
def test_one_pass_ownership_and_hash_match_the_two_pass_definitions(model):
    before = copy.deepcopy(model)

    tagged, normalized, content_hash = owned_dashboard(model)

    assert model == before  # nothing shared was changed
    assert OWNER_TAG in tagged["tags"] and recorded_hash(tagged) == content_hash
    assert json.dumps(normalized, sort_keys=True) == json.dumps(normalize_dashboard(tagged), sort_keys=True)
    assert (
        content_hash == dashboard_content_hash(tagged) == dashboard_content_hash(model | {"tags": tagged["tags"][:-1]})
    )
    assert with_ownership_tags(model) == tagged
    for live in (model, tagged):
        assert normalized_content_hash(normalize_dashboard(live)) == dashboard_content_hash(live)


@pytest.mark.parametrize("model", odd_dashboards(), ids=lambda m: m["title"])
def test_normalising_shares_nothing_with_the_input(model):
    before = copy.deepcopy(model)
    normalized = normalize_dashboard(model)
    assert model == before

    def containers(value, found):
        if isinstance(value, (dict, list)):
            found.add(id(value))
            for item in value.values() if isinstance(value, dict) else value:
                containers(item, found)
        return found

    assert not containers(normalized, set()) & containers(model, set())


def test_default_concurrency():
    assert GrafanaSettings(url="http://localhost:3000").concurrency == DEFAULT_CONCURRENCY == 8
    assert settings_from_args(args(), {"GRAFANA_URL": "http://localhost:3000"}).concurrency == 8


def test_normalised_rule_group_compares_only_what_we_send():
    body = desired_rule_group(rule_group())
    live = {"title": body["title"], "folderUid": body["folderUid"], "interval": 60, "rules": []}
    for i, sent in enumerate(reversed(body["rules"])):
        live["rules"].append(
            {
                **sent,
                "id": i,
                "orgID": 1,
                "updated": "2026-01-01T00:00:00Z",
                "provenance": "api",
                "for": {"5m": "5m", "10m": "600s"}[sent["for"]],
                "notification_settings": None,
                "record": None,
                "keep_firing_for": "0s",
            }
        )
    assert normalize_rule_group(live, keep=rule_fields(body["rules"])) == normalize_rule_group(body)
    live["rules"][0]["labels"] = {"severity": "critical"}
    assert normalize_rule_group(live, keep=rule_fields(body["rules"])) != normalize_rule_group(body)


def test_durations():
    assert [parse_duration(d) for d in ("5m", "1h30m", "5m0s", "0s", "90s", "1d", 300)] == [
        300,
        5400,
        300,
        0,
        90,
        86400,
        300,
    ]
    with pytest.raises(ValueError):
        parse_duration("5 minutes")
