# One image for all four services: `hookbus serve ingress|router|dispatcher|audit`.
# Slim Debian Python, the pinned packages with PostgreSQL support, run as an unprivileged user.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY contracts ./contracts
# Editable, so the services find contracts/ beside their packages as in a checkout.
RUN pip install --editable '.[postgres]' \
 && groupadd --system --gid 10001 hookbus \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/hookbus hookbus \
 && mkdir -p /var/lib/hookbus && chown 10001:10001 /var/lib/hookbus
# Numeric, so Kubernetes' runAsNonRoot can check it.
USER 10001:10001
ENV HOOKBUS_DATA_DIR=/var/lib/hookbus HOOKBUS_HTTP_HOST=0.0.0.0
# ingress (the public base URL), audit, router, dispatcher: each serves /healthz and /readyz.
EXPOSE 8080 8081 8082 8083
ENTRYPOINT ["hookbus"]
CMD ["serve", "ingress"]
