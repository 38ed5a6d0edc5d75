# One image for all four services: `hookbus serve ingress|router|dispatcher|audit`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY contracts ./contracts
RUN pip install --editable '.[postgres]' \
 && useradd --system --uid 10001 --home-dir /var/lib/hookbus hookbus \
 && mkdir -p /var/lib/hookbus && chown hookbus /var/lib/hookbus
USER hookbus
ENV HOOKBUS_DATA_DIR=/var/lib/hookbus HOOKBUS_HTTP_HOST=0.0.0.0
ENTRYPOINT ["hookbus"]
CMD ["serve", "ingress"]
