# notifier: the reminder service as ops run it (README, "Run it as ops would").
#
# No Docker engine runs where this project is developed and tested, so this image has not been
# built there: tests/ops/test_container_recipe.py replays this recipe instead (the builder's
# COPY + venv + pip install, then the final stage's ENV, WORKDIR, USER and ENTRYPOINT/CMD as an
# unprivileged user against a real Redis, with the HEALTHCHECK command run against it).
# `hadolint Dockerfile` runs in scripts/test.

#
# Base image: pinned by tag and by the digest of its multi-platform index, so a rebuild gets the
# same bytes until this line is changed on purpose. Both stages use the same one. To refresh
# (a new Python patch or Debian security fixes), look the digest up and change both FROM lines:
#     docker buildx imagetools inspect python:3.11-slim-bookworm   # "Digest:" of the index
#     # or: docker pull python:3.11-slim-bookworm && docker inspect --format \
#     #         '{{index .RepoDigests 0}}' python:3.11-slim-bookworm

# ---- builder: a venv with the package and its dependencies; pip and setuptools stay here ----
FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d AS builder

# Every dependency ships wheels for linux/amd64 and arm64 (hiredis, pydantic-core, aiohttp…),
# so no compiler is installed. Should one ever need building, add build-essential to this
# stage only: the final stage copies the venv, never the toolchain.
RUN python -m venv /opt/venv
WORKDIR /src
# Dependencies first, from the lock (scripts/lock): every file is checked against its sha256,
# and this layer is reused until requirements.lock changes, not at every code edit.
COPY requirements.lock ./
RUN /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --require-hashes \
        -r requirements.lock
# then the package alone: --no-deps (everything is installed above), built with the locked
# setuptools (--no-build-isolation: nothing is fetched unchecked). pyproject.toml names
# README.md as the long description.
COPY pyproject.toml README.md ./
COPY notifier ./notifier
RUN /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps \
        --no-build-isolation .

# ---- final: the same slim base, the venv, the example events; no pip cache, no compilers ----
FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

# OCI image annotations (https://github.com/opencontainers/image-spec/blob/main/annotations.md);
# version and revision are build arguments: `docker build --build-arg VERSION=0.1.0
# --build-arg REVISION=$(git rev-parse HEAD) .`
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="notifier" \
      org.opencontainers.image.description="Time-zone-aware reminders for hybrid events" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11.14-slim-bookworm" \
      org.opencontainers.image.base.digest="sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d"

# A fixed UID/GID so volume ownership and Kubernetes' runAsNonRoot checks do not depend on the
# order users happen to be created in. --no-log-init: a high UID would otherwise bloat lastlog.
RUN groupadd --system --gid 10001 notifier \
    && useradd --system --no-log-init --uid 10001 --gid 10001 \
        --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin notifier \
    && mkdir -p /var/lib/notifier /srv/notifier \
    && chown 10001:10001 /var/lib/notifier

# The venv keeps its build path (/opt/venv): its console scripts' #! lines point there.
# Time zones: no Debian tzdata is installed on purpose. The Python `tzdata` package (a declared
# dependency, inside the venv) is the only zone database the service reads
# (notifier/times/zones.py clears zoneinfo's TZPATH), and its version is logged at start.
COPY --from=builder /opt/venv /opt/venv
# Example events, so a bare `docker run` starts; mount your own over this folder (read-only).
COPY config/events /etc/notifier/events

ENV PATH=/opt/venv/bin:$PATH \
    NOTIFIER_CONFIG=/etc/notifier/events \
    NOTIFIER_DATA_DIR=/var/lib/notifier \
    NOTIFIER_HTTP_HOST=0.0.0.0 \
    NOTIFIER_HTTP_PORT=8000 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /srv/notifier
# The embedded store (SQLite), the outbox and the generated signing key live here when
# NOTIFIER_STORE_URL is not set; with Redis it holds little, but keep it on a volume anyway.
VOLUME ["/var/lib/notifier"]
USER 10001:10001
EXPOSE 8000

# The slim base has no curl: probe with the venv's Python. urlopen raises on a refused
# connection or any non-2xx answer, so the exit status is the verdict.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('NOTIFIER_HTTP_PORT', '8000') + '/healthz', timeout=4)"]

# Exec form: `notifier` is PID 1 and gets SIGTERM itself (a shell in between would swallow it).
# On SIGTERM it stops taking work, lets in-flight sends finish (NOTIFIER_SHUTDOWN_TIMEOUT_S,
# default 20 s: give `docker stop -t` / terminationGracePeriodSeconds more than that) and
# hands back deliveries not yet attempted.
STOPSIGNAL SIGTERM
ENTRYPOINT ["notifier"]
CMD ["run"]
