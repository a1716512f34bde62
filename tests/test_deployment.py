"""docker-compose.yml, the Kubernetes manifests and Procfile.production describe the topology the reliability
tests run: every variable the production endpoints need is provided, every replica is routed to, the same images,
commands and retention job everywhere; the manifests are valid Kubernetes (schemas shipped in kubernetes-validate,
nothing downloaded), and their memory requests cover the peak `make bench` measured."""
import copy
import json
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NEEDED = set(re.findall(r"\$\{(\w+)\}", (ROOT / "bot" / "endpoints.production.yml").read_text()))
K8S_VERSION = "1.28.0"
ROLES = ("actions", "rasa", "web")


def interpolate(value: str) -> str:
    """A compose value as it is with no variable set: ${X:-default} -> default, ${X} / ${X:?msg} -> <X>."""
    value = re.sub(r"\$\{(\w+):-([^}]*)\}", r"\2", str(value))
    return re.sub(r"\$\{(\w+)(:\?[^}]*)?\}", r"<\1>", value)


def compose_services(path: Path = ROOT / "docker-compose.yml") -> dict:
    return yaml.safe_load(path.read_text())["services"]


def env(svc: dict) -> dict:
    return {k: interpolate(v) for k, v in (svc.get("environment") or {}).items()}


def k8s_docs() -> list[dict]:
    return [d for d in yaml.safe_load_all((ROOT / "deploy" / "k8s" / "hegui.yaml").read_text()) if d]


def k8s(kind: str, name: str) -> dict:
    return next(d for d in k8s_docs() if d["kind"] == kind and d["metadata"]["name"] == name)


def pod_spec(doc: dict) -> dict:
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def k8s_containers() -> list[tuple[str, dict]]:
    return [(f"{d['kind']}/{d['metadata']['name']}", c) for d in k8s_docs()
            if d["kind"] in ("StatefulSet", "Deployment", "CronJob") for c in pod_spec(d)["containers"]]


def memory_mb(quantity: str) -> float:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 1e3, "M": 1e6, "G": 1e9}
    number, unit = re.fullmatch(r"([\d.]+)([A-Za-z]*)", quantity).groups()
    return float(number) * units.get(unit, 1) / 1e6


def test_dead_replica_locks_expire_within_the_front_timeout():
    from bot.web.config import Settings

    timeout = Settings().rasa_timeout
    for svc in (s for n, s in compose_services().items() if n.startswith("rasa")):
        assert int(env(svc)["TICKET_LOCK_LIFETIME"]) < timeout
    assert int(k8s("ConfigMap", "hegui-config")["data"]["TICKET_LOCK_LIFETIME"]) < timeout
    assert "TICKET_LOCK_LIFETIME ?= 10" in (ROOT / "Makefile").read_text()


def test_production_endpoints_use_postgres_redis_and_the_durable_store():
    ep = yaml.safe_load((ROOT / "bot" / "endpoints.production.yml").read_text())
    assert ep["tracker_store"]["type"] == "bot.stores.DurableSQLTrackerStore"
    assert ep["tracker_store"]["dialect"] == "postgresql"
    assert ep["lock_store"]["type"] == "redis"


# ---------------------------------------------------------------- compose
def test_compose_gives_every_replica_what_it_needs_and_the_front_routes_to_all():
    compose = compose_services()
    rasa = {n: s for n, s in compose.items() if re.fullmatch(r"rasa\d+", n)}
    assert len(rasa) >= 2
    for name, svc in rasa.items():
        assert "bot/endpoints.production.yml" in " ".join(svc["command"])
        assert NEEDED <= set(env(svc)), (name, NEEDED - set(env(svc)))
        assert "ports" not in svc, "Rasa must not be published"
        # each replica has its own action server, addressed by name and the port that server listens on
        actions = compose[name.replace("rasa", "actions")]
        assert env(svc)["ACTION_ENDPOINT_URL"] == \
            f"http://{name.replace('rasa', 'actions')}:{env(actions)['ACTIONS_PORT']}/webhook"
    urls = env(compose["web"])["RASA_URLS"].split(",")
    assert [u.split("//")[1] for u in urls] == [f"{n}:{env(s)['RASA_PORT']}" for n, s in rasa.items()]
    assert [p.split(":")[-1] for p in map(interpolate, compose["web"]["ports"])] == [env(compose["web"])["WEB_PORT"]]
    assert [n for n, s in compose.items() if s.get("ports")] == ["web"], "only the web front is published"


def test_compose_services_listen_on_distinct_ports_so_the_host_network_variant_works():
    compose = compose_services()
    listen = {"postgres": "PGPORT", "redis": "REDIS_PORT", "web": "WEB_PORT"}
    ports = {}
    for name, svc in compose.items():
        variable = listen.get(name) or next((v for v in ("RASA_PORT", "ACTIONS_PORT") if v in env(svc)), None)
        if variable:
            ports[name] = env(svc)[variable]
    assert len(set(ports.values())) == len(ports) == 7, ports
    database_port = env(compose["postgres"])["PGPORT"]
    for name, svc in compose.items():
        for key in ("DATABASE_URL", "TRACKER_DB_URL"):
            if key in env(svc):
                assert f"@postgres:{database_port}/hegui" in env(svc)[key], (name, key)
        if "TRACKER_DB_PORT" in env(svc):
            assert env(svc)["TRACKER_DB_PORT"] == database_port
            assert env(svc)["REDIS_PORT"] == env(compose["redis"])["REDIS_PORT"]


def test_the_host_network_variant_covers_every_service_and_name():
    compose = compose_services()
    host = compose_services(ROOT / "deploy" / "containers" / "compose.host-network.yml")
    assert set(host) == set(compose)
    for name, svc in host.items():
        assert svc["network_mode"] == "host", name
        assert {h.split(":")[0] for h in svc["extra_hosts"]} >= set(compose) - {"retention"}, name
        assert all(h.endswith(":127.0.0.1") for h in svc["extra_hosts"]), name
    # nothing but the web front listens beyond loopback on a shared host network
    assert env(host["postgres"])["POSTGRES_LISTEN_ADDRESSES"] == "127.0.0.1"
    assert env(host["redis"])["REDIS_BIND"] == "127.0.0.1"
    for name in compose:
        if name.startswith("rasa"):
            assert env(host[name])["RASA_INTERFACE"] == "127.0.0.1"
        if name.startswith("actions"):
            assert env(host[name])["SANIC_HOST"] == "127.0.0.1"


def test_compose_builds_from_one_base_argument_and_names_the_images_the_makefile_builds():
    compose = compose_services()
    makefile = (ROOT / "Makefile").read_text()
    for name, svc in compose.items():
        image = svc["image"]
        assert f"-t {image} ." in makefile or (image.startswith("hegui-") and image.endswith(":latest")
                                                and "-t hegui-$$role:latest" in makefile), (name, image)
        if "build" in svc:
            assert set(svc["build"]["args"]) == {"REGISTRY"}, name
            dockerfile = (ROOT / svc["build"]["dockerfile"]).read_text()
            assert re.search(r"^ARG REGISTRY=docker\.io/library$", dockerfile, re.M), name
            assert re.search(r"^FROM \$\{REGISTRY\}/", dockerfile, re.M), name
    roles = {svc["image"].split(":")[0].removeprefix("hegui-") for svc in compose.values()} & set(ROLES)
    assert roles == set(ROLES)
    for role in ROLES:
        assert "for role in actions rasa web" in makefile
        built = [s for s in compose.values() if s["image"] == f"hegui-{role}:latest" and "build" in s]
        assert len(built) == 1 and built[0]["build"]["target"] == role, role


def test_every_image_runs_as_a_non_root_user_with_a_health_check():
    app = (ROOT / "deploy" / "containers" / "hegui.Dockerfile").read_text()
    stages = re.split(r"^FROM ", app, flags=re.M)[1:]
    by_name = {re.match(r"\S+ AS (\w+)", s).group(1): s for s in stages}
    assert set(ROLES) <= set(by_name)
    assert re.search(r"^USER hegui$", by_name["app"], re.M)
    for role in ROLES:
        assert "FROM app" in f"FROM {by_name[role]}" and "HEALTHCHECK" in by_name[role], role
        assert not re.search(r"^USER root", by_name[role], re.M), role
    for name in ("postgres", "redis"):
        text = (ROOT / "deploy" / "containers" / f"{name}.Dockerfile").read_text()
        assert re.search(r"^USER (postgres|redis)$", text, re.M) and "HEALTHCHECK" in text, name
    retention = compose_services()["retention"]
    assert "healthcheck" in retention, "the retention service's health is its last run, not the web check"


# ---------------------------------------------------------------- Kubernetes
def test_kubernetes_manifests_are_valid_against_the_schemas():
    for doc in k8s_docs():
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


@pytest.mark.parametrize("breakage", ["unknown field", "wrong type", "missing field"])
def test_the_schema_check_rejects_a_broken_manifest(breakage):
    doc = copy.deepcopy(k8s("StatefulSet", "rasa"))
    container = doc["spec"]["template"]["spec"]["containers"][0]
    if breakage == "unknown field":
        container["readinesProbe"] = container.pop("readinessProbe")
    elif breakage == "wrong type":
        doc["spec"]["replicas"] = "two"
    else:
        del doc["spec"]["selector"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_kubernetes_gives_every_replica_what_it_needs_and_the_front_routes_to_all():
    config = k8s("ConfigMap", "hegui-config")["data"]
    provided = set(config) | set(k8s("Secret", "hegui-secrets")["stringData"])
    assert NEEDED <= provided, NEEDED - provided
    sts = k8s("StatefulSet", "rasa")
    replicas = sts["spec"]["replicas"]
    assert replicas >= 2
    rasa_container = next(c for c in pod_spec(sts)["containers"] if c["name"] == "rasa")
    assert "bot/endpoints.production.yml" in " ".join(rasa_container["command"])
    assert config["RASA_URLS"].split(",") == [f"http://rasa-{i}.rasa:5005" for i in range(replicas)]


def test_every_kubernetes_container_has_probes_requests_and_limits_and_runs_as_non_root():
    for owner, c in k8s_containers():
        if not owner.startswith("CronJob"):
            assert "readinessProbe" in c and "livenessProbe" in c, (owner, c["name"])
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(c["resources"][kind]), (owner, c["name"], kind)
        assert memory_mb(c["resources"]["requests"]["memory"]) <= memory_mb(c["resources"]["limits"]["memory"])
    for d in k8s_docs():
        if d["kind"] in ("StatefulSet", "Deployment", "CronJob"):
            assert pod_spec(d)["securityContext"]["runAsNonRoot"] is True, d["metadata"]["name"]


def test_kubernetes_memory_covers_the_peak_make_bench_measured():
    """Requests at least the measured peak per process (bench/results/latest.json), limits 1.3× above it."""
    measured = json.loads((ROOT / "bench" / "results" / "latest.json").read_text())["memory_mb"]
    peak = {role: max(mb for run, procs in measured.items() if run.startswith("full") for name, mb in procs.items()
                      if name.rstrip("0123456789") == role) for role in ROLES}
    containers = {c["image"].split(":")[0].removeprefix("hegui-"): c for owner, c in k8s_containers()
                  if not owner.startswith("CronJob")}
    for role in ROLES:
        resources = containers[role]["resources"]
        assert memory_mb(resources["requests"]["memory"]) >= peak[role], (role, peak[role])
        assert memory_mb(resources["limits"]["memory"]) >= 1.3 * peak[role], (role, peak[role])


def test_a_disruption_budget_keeps_a_rasa_replica_up():
    sts = k8s("StatefulSet", "rasa")
    pdb = k8s("PodDisruptionBudget", "rasa")
    assert pdb["spec"]["selector"] == sts["spec"]["selector"]
    assert pdb["spec"]["maxUnavailable"] < sts["spec"]["replicas"]


def test_retention_runs_on_a_schedule_in_compose_and_kubernetes_with_the_same_command():
    cron = k8s("CronJob", "retention")
    assert re.fullmatch(r"\S+ \S+ \S+ \S+ \S+", cron["spec"]["schedule"])
    job = pod_spec(cron)["containers"][0]
    assert job["command"] == ["python", "-m", "bot.web.retention"]
    assert job["image"] == "hegui-web:latest"
    provided = {ref["configMapRef"]["name"] if "configMapRef" in ref else ref["secretRef"]["name"]
                for ref in job["envFrom"]}
    assert provided == {"hegui-config", "hegui-secrets"}
    assert {"DATABASE_URL", "TRACKER_DB_URL"} <= set(k8s("Secret", "hegui-secrets")["stringData"])

    retention = compose_services()["retention"]
    assert retention["image"] == "hegui-web:latest"
    assert "python -m bot.web.retention" in " ".join(retention["command"])
    assert "sleep" in " ".join(retention["command"]) and int(env(retention)["RETENTION_EVERY_SECONDS"]) <= 86400
    assert {"DATABASE_URL", "TRACKER_DB_URL"} <= set(env(retention))


def test_compose_and_kubernetes_run_the_same_images_and_rasa_command():
    compose = compose_services()
    k8s_images = {c["image"] for _, c in k8s_containers()}
    assert k8s_images == {f"hegui-{role}:latest" for role in ROLES}
    assert k8s_images <= {s["image"] for s in compose.values()}
    rasa = next(c for c in pod_spec(k8s("StatefulSet", "rasa"))["containers"] if c["name"] == "rasa")
    for name, svc in compose.items():
        if name.startswith("rasa"):
            args = " ".join(svc["command"]).split()
            k8s_args = " ".join(rasa["command"]).split()
            assert [a for a in args if a.startswith("--") and "=" not in a] == \
                [a for a in k8s_args if a.startswith("--") and "=" not in a]


# ---------------------------------------------------------------- Procfile.production
def test_procfile_production_matches():
    lines = dict(line.split(":", 1) for line in (ROOT / "Procfile.production").read_text().splitlines()
                 if line and not line.startswith("#"))
    rasa = [n for n in lines if n.startswith("rasa")]
    assert len(rasa) >= 2
    assert len(rasa) == len([n for n in compose_services() if re.fullmatch(r"rasa\d+", n)])
    ports = [re.search(r"--port (\d+)", lines[n]).group(1) for n in rasa]
    assert all("--interface 127.0.0.1" in lines[n] and "endpoints.production.yml" in lines[n] for n in rasa)
    web_urls = re.search(r"RASA_URLS=(\S+)", lines["web"]).group(1).split(",")
    assert [u.rsplit(":", 1)[1] for u in web_urls] == ports
    # each replica has its own action server, as in compose and in each Kubernetes pod
    action_ports = [re.search(r"ACTION_ENDPOINT_URL=http://127.0.0.1:(\d+)/webhook", lines[n]).group(1) for n in rasa]
    assert len(set(action_ports)) == len(rasa)
    assert sorted(action_ports) == sorted(re.search(r"--port (\d+)", lines[n]).group(1) for n in lines
                                          if n.startswith("actions"))


def test_the_rasa_token_is_passed_so_a_leading_dash_cannot_break_it():
    """secrets.token_urlsafe may start with "-", which argparse would read as an option: always "--auth-token=". """
    for path in ("Procfile", "Procfile.production", "docker-compose.yml", "deploy/k8s/hegui.yaml", "tests/stack.py",
                 "deploy/containers/hegui.Dockerfile"):
        text = (ROOT / path).read_text()
        assert "auth-token" in text, path
        assert not re.search(r"auth-token[\"']?[ ,]", text), path
