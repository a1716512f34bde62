# syntax=docker/dockerfile:1
# The 合规通 images, one target per role — `actions` (action server), `rasa` (a Rasa replica), `web` (the web
# front, also the retention job) — over one shared stage, so the three images share every layer but the last.
#
# The shared stage does what a developer's `make run` does: the locked dependencies into .venv, then the project's
# own `make install model` (NLU data generated, model trained at build time), so the image follows whatever the
# tree holds. REGISTRY is the only build argument: docker.io/library (default) takes the registry's
# python:3.10-slim; REGISTRY=localhost takes the stand-in made from Debian's packages (deploy/containers/build-bases)
# on machines that reach no container registry.
#
#   podman build --format docker --target rasa -t hegui-rasa -f deploy/containers/hegui.Dockerfile .
ARG REGISTRY=docker.io/library
FROM ${REGISTRY}/python:3.10-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONHASHSEED=0 PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=2 \
    RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 LANG=C.UTF-8 \
    PATH=/app/.venv/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends make \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --user-group --create-home --home-dir /home/hegui --shell /usr/sbin/nologin hegui
WORKDIR /app
# The locked dependencies (2.7 GB) in their own layer, rebuilt only when the lock changes, installed as the
# Makefile's install target does; `make install` below then finds them in place. A TLS-inspecting proxy's CA bundle can be lent to pip as the build secret "pip-ca"
# (mounted for this step only, not kept in the image).
COPY requirements/lock.txt requirements/lock.txt
RUN --mount=type=secret,id=pip-ca \
    if [ -s /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi \
 && python -m venv .venv \
 && .venv/bin/pip install -q --no-cache-dir "pip<24.1" "wheel==0.45.1" "setuptools==70.3.0" \
 && .venv/bin/pip install -q --no-cache-dir -r requirements/lock.txt
COPY . .
RUN --mount=type=secret,id=pip-ca \
    if [ -s /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi \
 && PIP_NO_CACHE_DIR=1 make install model \
 && rm -rf /root/.cache /tmp/* \
 && mkdir -p var && chown hegui:hegui var
ENV HOME=/home/hegui
USER hegui

# The action server. SANIC_HOST=127.0.0.1 keeps it on loopback when it shares a host's network.
FROM app AS actions
ENV ACTIONS_PORT=5055 SANIC_HOST=0.0.0.0 OMP_WAIT_POLICY=PASSIVE
EXPOSE 5055
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD python deploy/containers/healthcheck.py "http://127.0.0.1:${ACTIONS_PORT}/health"
CMD ["sh", "-c", "exec rasa run actions --actions actions --port \"$ACTIONS_PORT\""]

# A Rasa replica: the model trained above, the production endpoints (PostgreSQL tracker store, Redis lock store).
FROM app AS rasa
ENV RASA_PORT=5005 RASA_INTERFACE=0.0.0.0 RASA_ENDPOINTS=bot/endpoints.production.yml
EXPOSE 5005
HEALTHCHECK --interval=10s --timeout=5s --start-period=180s --retries=3 \
  CMD python deploy/containers/healthcheck.py "http://127.0.0.1:${RASA_PORT}/"
# "--auth-token=": a token may start with "-"
CMD ["sh", "-c", "exec rasa run --model models --endpoints \"$RASA_ENDPOINTS\" --credentials bot/credentials.yml --interface \"$RASA_INTERFACE\" --port \"$RASA_PORT\" --enable-api --auth-token=\"$RASA_TOKEN\""]

# The web front, the only public port. It loads the knowledge base into DATABASE_URL before serving.
FROM app AS web
ENV WEB_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD python deploy/containers/healthcheck.py "http://127.0.0.1:${WEB_PORT}/healthz"
CMD ["sh", "-c", "python -m knowledge load && exec python -m bot.web"]
