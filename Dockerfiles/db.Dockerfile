# pgwarden db image: PostgreSQL 17 + TimescaleDB with pgwarden-db as the
# entrypoint. pgwarden-db supervises postgres, writes /backups/postgresql.log
# for the monitor, and re-initialises the cluster (old PGDATA moved aside,
# never deleted) when the restorer asks, which a sidecar cannot do.
#   docker build -f Dockerfiles/db.Dockerfile -t pgwarden/pgwarden-db:TAG .

FROM debian:bookworm-20241111-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config \
      libpq-dev zlib1g-dev libcurl4-openssl-dev libiniparser-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY common common
COPY sidecars sidecars
RUN make -j"$(nproc)" all

# the official image is Debian bookworm too: same glibc as the build stage
FROM postgres:17.2-bookworm
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
      libiniparser1 libcurl4 \
 && curl -fsSL https://packagecloud.io/timescale/timescaledb/gpgkey \
      | gpg --dearmor -o /usr/share/keyrings/timescaledb.gpg \
 && echo "deb [signed-by=/usr/share/keyrings/timescaledb.gpg] https://packagecloud.io/timescale/timescaledb/debian/ bookworm main" \
      > /etc/apt/sources.list.d/timescaledb.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends timescaledb-2-postgresql-17 \
 && apt-get purge -y curl gnupg && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/* \
 && echo "shared_preload_libraries = 'timescaledb'" \
      >> /usr/share/postgresql/postgresql.conf.sample
COPY --from=build /src/build/pgwarden-db /src/build/pgwarden /usr/local/bin/
ENV PG_BINDIR=/usr/lib/postgresql/17/bin \
    PGDATA=/var/lib/postgresql/data/pgdata
# the image's postgres user (uid 999), as in the pod's securityContext
USER 999:999
ENTRYPOINT ["pgwarden-db"]
