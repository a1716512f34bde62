# PostgreSQL 15 from Debian's packages, with the official postgres image's interface (POSTGRES_USER,
# POSTGRES_PASSWORD, POSTGRES_DB, PGDATA, PGPORT; data in /var/lib/postgresql/data), so either image serves
# docker-compose.yml. REGISTRY: docker.io/library (default) or localhost (deploy/containers/build-bases).
ARG REGISTRY=docker.io/library
FROM ${REGISTRY}/debian:bookworm-slim
RUN mkdir -p /etc/postgresql-common \
 && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf \
 && apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql && chmod 700 /var/lib/postgresql/data
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data PGPORT=5432 LANG=C.UTF-8
COPY --chmod=755 deploy/containers/postgres-entrypoint /usr/local/bin/postgres-entrypoint
USER postgres
VOLUME /var/lib/postgresql/data
EXPOSE 5432
# SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client to disconnect), as in the official image
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --timeout=5s --start-period=30s --retries=5 \
  CMD pg_isready -q -h 127.0.0.1 -p "$PGPORT" -U "${POSTGRES_USER:-postgres}" -d "${POSTGRES_DB:-postgres}"
ENTRYPOINT ["postgres-entrypoint"]
CMD ["postgres"]
