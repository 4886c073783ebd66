# The app image for compose.yaml: daphne (ASGI), Celery worker and beat all run from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 CC_DATA_DIR=/data
WORKDIR /app

COPY pyproject.toml README.md ./
COPY contactcenter ./contactcenter
COPY chat ./chat
COPY routing ./routing
COPY bot ./bot
COPY tickets ./tickets
COPY telephony ./telephony
COPY widget ./widget
RUN pip install . && useradd --create-home --uid 1000 cc && mkdir -p /data && chown cc /data

USER cc
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3).status == 200 else 1)"
CMD ["contactcenter", "serve", "--host", "0.0.0.0", "--port", "8000"]
