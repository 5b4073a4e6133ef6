FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY vc_core ./vc_core
COPY issuer ./issuer
COPY verifier ./verifier
COPY wallet_bridge ./wallet_bridge
COPY mcred ./mcred
COPY contexts ./contexts
COPY keys ./keys
RUN pip install --no-cache-dir . && useradd --create-home mcred && mkdir -p /data && chown mcred /data
USER mcred
EXPOSE 8000
CMD ["mcred", "serve", "--host", "0.0.0.0", "--port", "8000"]
