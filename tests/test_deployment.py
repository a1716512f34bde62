"""docker-compose.yml, the Kubernetes manifests and Procfile.production describe the topology the reliability
tests run: every variable the production endpoints need is provided, every replica is routed to."""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NEEDED = set(re.findall(r"\$\{(\w+)\}", (ROOT / "bot" / "endpoints.production.yml").read_text()))


def test_dead_replica_locks_expire_within_the_front_timeout():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    docs = [d for d in yaml.safe_load_all((ROOT / "deploy" / "k8s" / "hegui.yaml").read_text()) if d]
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    from bot.web.config import Settings

    timeout = Settings().rasa_timeout
    for svc in (s for n, s in compose.items() if n.startswith("rasa")):
        assert int(svc["environment"]["TICKET_LOCK_LIFETIME"]) < timeout
    assert int(config["TICKET_LOCK_LIFETIME"]) < timeout
    assert "TICKET_LOCK_LIFETIME ?= 10" in (ROOT / "Makefile").read_text()


def test_production_endpoints_use_postgres_redis_and_the_durable_store():
    ep = yaml.safe_load((ROOT / "bot" / "endpoints.production.yml").read_text())
    assert ep["tracker_store"]["type"] == "bot.stores.DurableSQLTrackerStore"
    assert ep["tracker_store"]["dialect"] == "postgresql"
    assert ep["lock_store"]["type"] == "redis"


def test_compose_gives_every_replica_what_it_needs_and_the_front_routes_to_all():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    rasa = {n: s for n, s in compose.items() if n.startswith("rasa")}
    assert len(rasa) >= 2
    for name, svc in rasa.items():
        assert "bot/endpoints.production.yml" in svc["command"]
        assert NEEDED <= set(svc["environment"]), (name, NEEDED - set(svc["environment"]))
        assert "ports" not in svc, "Rasa must not be published"
    urls = compose["web"]["environment"]["RASA_URLS"].split(",")
    assert {u.split("//")[1].split(":")[0] for u in urls} == set(rasa)
    assert [p.split(":")[-1] for p in compose["web"]["ports"]] == ["8080"]


def test_kubernetes_gives_every_replica_what_it_needs_and_the_front_routes_to_all():
    docs = [d for d in yaml.safe_load_all((ROOT / "deploy" / "k8s" / "hegui.yaml").read_text()) if d]
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    provided = set(by_kind[("ConfigMap", "hegui-config")]["data"]) | set(by_kind[("Secret", "hegui-secrets")]["stringData"])
    assert NEEDED <= provided, NEEDED - provided
    sts = by_kind[("StatefulSet", "rasa")]
    replicas = sts["spec"]["replicas"]
    assert replicas >= 2
    rasa_container = next(c for c in sts["spec"]["template"]["spec"]["containers"] if c["name"] == "rasa")
    assert "bot/endpoints.production.yml" in " ".join(rasa_container["command"])
    urls = by_kind[("ConfigMap", "hegui-config")]["data"]["RASA_URLS"].split(",")
    assert urls == [f"http://rasa-{i}.rasa:5005" for i in range(replicas)]


def test_procfile_production_matches():
    lines = dict(line.split(":", 1) for line in (ROOT / "Procfile.production").read_text().splitlines()
                 if line and not line.startswith("#"))
    rasa = [n for n in lines if n.startswith("rasa")]
    assert len(rasa) >= 2
    ports = [re.search(r"--port (\d+)", lines[n]).group(1) for n in rasa]
    assert all("--interface 127.0.0.1" in lines[n] and "endpoints.production.yml" in lines[n] for n in rasa)
    web_urls = re.search(r"RASA_URLS=(\S+)", lines["web"]).group(1).split(",")
    assert [u.rsplit(":", 1)[1] for u in web_urls] == ports


def test_the_rasa_token_is_passed_so_a_leading_dash_cannot_break_it():
    """secrets.token_urlsafe may start with "-", which argparse would read as an option: always "--auth-token=". """
    for path in ("Procfile", "Procfile.production", "docker-compose.yml", "deploy/k8s/hegui.yaml", "tests/stack.py"):
        text = (ROOT / path).read_text()
        assert "auth-token" in text, path
        assert not re.search(r"auth-token[\"']?[ ,]", text), path
