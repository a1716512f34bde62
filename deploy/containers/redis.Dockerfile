# Redis 7 from Debian's packages: the lock store of the Rasa replicas (and the front's shared limits), nothing
# persisted, as docker-compose.yml runs the registry's redis:7. REGISTRY: docker.io/library or localhost.
ARG REGISTRY=docker.io/library
FROM ${REGISTRY}/debian:bookworm-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/*
ENV REDIS_PORT=6379 REDIS_BIND="* -::*"
USER redis
EXPOSE 6379
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=5 \
  CMD redis-cli -p "$REDIS_PORT" ping | grep -q PONG
CMD ["sh", "-c", "set -f; exec redis-server --port \"$REDIS_PORT\" --bind $REDIS_BIND --protected-mode no --save '' --appendonly no --dir /tmp"]
