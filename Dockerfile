# Nexus bot image: slim, non-root, data on a volume, health from its own /healthz.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite+aiosqlite:////var/lib/nexus/nexus.db \
    NEXUS_HTTP_PORT=8080

WORKDIR /app
RUN useradd --system --uid 10001 --home-dir /app nexus \
    && mkdir -p /var/lib/nexus && chown nexus /var/lib/nexus

COPY pyproject.toml README.md alembic.ini ./
COPY bot ./bot
COPY cogs ./cogs
COPY migrations ./migrations
COPY data ./data
RUN pip install -e ".[postgres]"

USER nexus
VOLUME ["/var/lib/nexus"]
EXPOSE 8080
# 200 only when every shard of this process is connected, the database answers and reminders
# are not behind (see "Scaling out" in the README)
HEALTHCHECK --interval=30s --timeout=15s --start-period=90s --retries=3 \
    CMD ["nexus-bot", "health"]
CMD ["nexus-bot", "run"]
