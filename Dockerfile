# festbot in a container. The steps are the ones tests/test_install.py runs (build the wheel without build
# isolation, install it into a fresh environment) and `festbot run`; no image is built in CI, so those tests
# stand in for `docker build` (tests/test_deploy.py checks this file names the same commands).

# ---- build: the wheel, from the package sources only
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir "setuptools>=77"
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN pip wheel --no-cache-dir --no-deps --no-build-isolation -w /wheels .

# ---- run: the wheel (and the PostgreSQL driver) in a slim image, as an unprivileged user
FROM python:3.11-slim
COPY --from=build /wheels /wheels
RUN set -e; wheel="$(echo /wheels/festbot-*.whl)"; \
    pip install --no-cache-dir "${wheel}[postgres]"; \
    rm -rf /wheels; \
    useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin festbot; \
    mkdir -p /data; chown festbot:festbot /data
# The data directory (database, inbox, your festival editions) is the volume; the web pages, /healthz and
# /metrics listen on 8080 inside the container (publish it on the host's loopback, see compose.yaml).
ENV FESTBOT_DATA_DIR=/data \
    FESTBOT_HTTP_HOST=0.0.0.0 \
    FESTBOT_HTTP_PORT=8080 \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
WORKDIR /data
USER festbot
EXPOSE 8080
# 503 (gateway down, database not writable, delivery worker dead) or no answer: unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4); sys.exit(0)"]
# festbot stops cleanly on SIGTERM (deliveries in flight resume on the next start).
STOPSIGNAL SIGTERM
CMD ["festbot", "run"]
