# pgwarden db image: PostgreSQL (PG_MAJOR) + TimescaleDB with pgwarden-db as the
# entrypoint. pgwarden-db supervises postgres, writes /backups/postgresql.log
# for the monitor, and re-initialises the cluster (old PGDATA moved aside,
# never deleted) when the restorer asks, which a sidecar cannot do.
#   docker build -f Dockerfiles/db.Dockerfile -t pgwarden/pgwarden-db:TAG .
# Versions: Dockerfiles/versions.env (the defaults below are the same);
# config/deploy-backup-system.sh builds with them, base images by digest.
# For an injected pod on your own postgres image: --build-arg PG_IMAGE=...
# and PG_MAJOR of that image.

ARG PG_MAJOR=17
ARG PG_IMAGE=postgres:17.2-bookworm
ARG DEBIAN_IMAGE=debian:bookworm-20241111-slim
ARG TIMESCALEDB_VERSION=2.17.2

FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config \
      libpq-dev zlib1g-dev libdeflate-dev libcurl4-openssl-dev libiniparser-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY common common
COPY sidecars sidecars
RUN make -j"$(nproc)" all

# the official image is Debian bookworm too: same glibc as the build stage
FROM ${PG_IMAGE}
ARG PG_MAJOR
ARG TIMESCALEDB_VERSION
USER root
# the server is the major everything else is built for
RUN test "$(postgres --version | sed -E 's/^[^0-9]*([0-9]+).*/\1/')" = "$PG_MAJOR" \
 || { echo "PG_IMAGE runs $(postgres --version), not PostgreSQL $PG_MAJOR" >&2; exit 1; }
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
      libiniparser1 libcurl4 \
 && curl -fsSL https://packagecloud.io/timescale/timescaledb/gpgkey \
      | gpg --dearmor -o /usr/share/keyrings/timescaledb.gpg \
 && echo "deb [signed-by=/usr/share/keyrings/timescaledb.gpg] https://packagecloud.io/timescale/timescaledb/debian/ bookworm main" \
      > /etc/apt/sources.list.d/timescaledb.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends \
      "timescaledb-2-postgresql-${PG_MAJOR}=${TIMESCALEDB_VERSION}~debian12" \
      "timescaledb-2-loader-postgresql-${PG_MAJOR}=${TIMESCALEDB_VERSION}~debian12" \
 && apt-get purge -y curl gnupg && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/* \
 && echo "shared_preload_libraries = 'timescaledb'" \
      >> /usr/share/postgresql/postgresql.conf.sample
COPY --from=build /src/build/pgwarden-db /src/build/pgwarden /usr/local/bin/
ENV PG_BINDIR=/usr/lib/postgresql/${PG_MAJOR}/bin \
    PGDATA=/var/lib/postgresql/data/pgdata
# the image's postgres user (uid 999), as in the pod's securityContext
USER 999:999
ENTRYPOINT ["pgwarden-db"]
