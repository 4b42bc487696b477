"""Deployment files that cannot run here (no Docker engine, no Asterisk/FreeSWITCH package) are still checked
for what can be checked: syntax, structure, references to files and metrics that must exist."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from telephony.metrics import Metrics
from tests.conftest import REPO, require_tool

DEPLOY = REPO / "deploy"


def test_kamailio_balancer_config_is_valid() -> None:
    kamailio = require_tool("kamailio")
    nodes = DEPLOY / "kamailio" / "callscreen-nodes.list"
    result = subprocess.run(
        [kamailio, "-c", "-f", str(DEPLOY / "kamailio" / "kamailio-lb.cfg"), "-A", f'DS_LIST="{nodes}"'],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "docker" / "Dockerfile").read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_is_multistage_non_root_with_healthcheck() -> None:
    known = {
        "FROM",
        "RUN",
        "COPY",
        "ENV",
        "USER",
        "WORKDIR",
        "VOLUME",
        "EXPOSE",
        "HEALTHCHECK",
        "ENTRYPOINT",
        "CMD",
        "ARG",
        "LABEL",
    }
    instructions = _dockerfile_instructions()
    assert {word for word, _ in instructions} <= known
    froms = [i for i, (word, _) in enumerate(instructions) if word == "FROM"]
    assert len(froms) >= 2, "build and runtime stages"
    final = instructions[froms[-1] :]
    users = [rest for word, rest in final if word == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert any(word == "HEALTHCHECK" for word, _ in final)
    for word, rest in instructions:
        if word == "COPY" and "--from" not in rest:
            for source in rest.split()[:-1]:
                assert (REPO / source).exists(), f"COPY source {source} missing"


def test_compose_has_two_nodes_postgres_and_kamailio_with_existing_files() -> None:
    compose = yaml.safe_load((DEPLOY / "docker" / "compose.yaml").read_text())
    assert {"postgres", "node1", "node2", "kamailio"} <= set(compose["services"])
    assert compose["services"]["node2"]["environment"]["CALLSCREEN_NODE_NAME"] == "node2"
    for volume in compose["services"]["kamailio"]["volumes"]:
        host = volume.split(":")[0]
        assert (DEPLOY / "docker" / host).resolve().exists(), volume


def test_systemd_unit_verifies() -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not available")
    unit = DEPLOY / "systemd" / "callscreen.service"
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False)
    # The unit names /opt/callscreen binaries and a callscreen user that do not exist on a build machine.
    problems = [
        line
        for line in result.stderr.splitlines()
        if line.strip()
        and "/opt/callscreen" not in line
        and "callscreen.service:" in line
        and "Failed to resolve" not in line
        and "not executable" not in line
        and "User" not in line
    ]
    assert not problems, result.stderr


def test_grafana_dashboard_queries_only_exported_metrics() -> None:
    import json

    dashboard = json.loads((DEPLOY / "grafana" / "callscreen-dashboard.json").read_text())
    exported = set(re.findall(r"^# TYPE (\S+)", Metrics().render().decode(), flags=re.M))
    families = set()
    for name in exported:
        families |= {name, f"{name}_total", f"{name}_bucket", f"{name}_count", f"{name}_sum"}
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            for metric in re.findall(r"\b(callscreen_[a-z_]+)", target["expr"]):
                assert metric in families, f"panel {panel['title']!r} queries unknown metric {metric}"


def test_asterisk_dialplan_contexts_exist_and_fail_open() -> None:
    pjsip = (DEPLOY / "asterisk" / "pjsip.conf").read_text()
    dialplan = (DEPLOY / "asterisk" / "extensions.conf").read_text()
    contexts = set(re.findall(r"^\[([\w-]+)\]", dialplan, flags=re.M))
    endpoint_context = re.search(r"^context\s*=\s*([\w-]+)", pjsip, flags=re.M)
    assert endpoint_context and endpoint_context.group(1) in contexts
    for target in re.findall(r"Goto\(([\w-]+),", dialplan):
        assert target in contexts, f"Goto to missing context {target}"
    assert "exten => analysis" in dialplan and "allow_transfer = yes" in pjsip
    assert re.search(r"DIALSTATUS.*\n.*Goto\(agents-queue", dialplan), "screener failure must reach the agents"


def test_asterisk_confirm_feature_code_uses_the_by_ref_api_route() -> None:
    from adminapi.routes.calls import router

    dialplan = (DEPLOY / "asterisk" / "extensions.conf").read_text()
    features = (DEPLOY / "asterisk" / "features.conf").read_text()
    gosub = re.search(r"callscreen_confirm => \*\d,self/callee,Gosub\(([\w-]+),s,1\)", features)
    assert gosub and f"[{gosub.group(1)}]" in dialplan
    url = re.search(r"CURL\(http://[^/]+(/api/v1/calls/[^,]+),\)", dialplan)
    assert url, "the feature code must POST (CURL with a data argument)"
    route = re.sub(r"\$\{CS_REF\}", "{ref}", url.group(1))
    assert any(r.path == route.removeprefix("/api/v1") and "POST" in r.methods  # type: ignore[attr-defined]
               for r in router.routes), route
    assert "X-API-Key" in dialplan and "X-Callscreen-Ref" in dialplan


def test_freeswitch_xml_is_well_formed_and_fails_open() -> None:
    root = ET.parse(DEPLOY / "freeswitch" / "callscreen.xml").getroot()
    apps = [(a.get("application"), a.get("data")) for a in root.iter("action")]
    assert ("set", "continue_on_fail=true") in apps
    assert any(app == "transfer" and data and data.startswith("agents") for app, data in apps)


def test_deploy_readme_states_what_is_not_tested() -> None:
    text = (DEPLOY / "README.md").read_text()
    for phrase in ("not run", "not built", "Single node", "Asterisk", "Kamailio"):
        assert phrase in text
    assert Path(DEPLOY / "kamailio" / "callscreen-nodes.list").exists()
