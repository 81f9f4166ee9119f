# pgwarden sidecars image: pgwarden-backupper, pgwarden-restorer,
# pgwarden-monitor and the pgwarden CLI, with the PostgreSQL client tools
# (pg_dump, pg_restore, psql) of the server's major version.
#   docker build -f Dockerfiles/sidecars.Dockerfile -t pgwarden/pgwarden-sidecars:TAG .
# Versions: Dockerfiles/versions.env (the defaults below are the same).

ARG PG_MAJOR=17
ARG DEBIAN_IMAGE=debian:bookworm-20241111-slim

# ---- build: compilers and -dev packages stay in this stage ----
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

# ---- runtime: shared libraries and client tools only ----
FROM ${DEBIAN_IMAGE}
ARG PG_MAJOR
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
 && curl -fsSL https://www.postgresql.org/media/keys/ACCC4CF8.asc \
      | gpg --dearmor -o /usr/share/keyrings/pgdg.gpg \
 && echo "deb [signed-by=/usr/share/keyrings/pgdg.gpg] http://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
      > /etc/apt/sources.list.d/pgdg.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}" libpq5 \
      zlib1g libdeflate0 libcurl4 libiniparser1 libssl3 \
 && apt-get purge -y curl gnupg && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd -g 999 postgres \
 && useradd -u 999 -g 999 -M -d /nonexistent -s /usr/sbin/nologin postgres \
 && v=$("/usr/lib/postgresql/${PG_MAJOR}/bin/pg_dump" --version | sed -E 's/^[^0-9]*([0-9]+).*/\1/') \
 && { [ "$v" -ge "$PG_MAJOR" ] || { echo "pg_dump $v is older than the server ($PG_MAJOR)" >&2; exit 1; }; }
COPY --from=build /src/build/pgwarden /src/build/pgwarden-backupper \
     /src/build/pgwarden-restorer /src/build/pgwarden-monitor \
     /src/build/pgwarden-dbcheck /usr/local/bin/
# no schema of ours: the application's init scripts and migrations come
# from its own ConfigMap mounted here (empty: no migrations check, and a
# fresh reset creates an empty database)
RUN mkdir -p /etc/pgwarden/init /etc/pgwarden/migrations
ENV PG_BINDIR=/usr/lib/postgresql/${PG_MAJOR}/bin
# every pgwarden container runs as the same uid: files on /backups are 0600
USER 999:999
CMD ["pgwarden", "--help"]
