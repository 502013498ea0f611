# The signal API (`deno task serve`) as a container: the same Hono app the Lambda runs, on Deno.serve.
# Build: docker build -f docker/api.Dockerfile -t fmai-api .
# Run (AWS S3):
#   docker run -p 8080:8080 -e FMAI_API_KEY_HASHES=id:sha256 \
#     -e FMAI_MYSQL_URL=mysql://fmai:PASSWORD@db.example.com:3306/fmai -e FMAI_MONGO_URL=mongodb://... \
#     -e FMAI_S3_ENDPOINT=https://s3.us-east-1.amazonaws.com -e FMAI_S3_REGION=us-east-1 \
#     -e FMAI_S3_FORCE_PATH_STYLE=false -e FMAI_S3_BUCKET=fmai-data-prod \
#     -e FMAI_S3_ACCESS_KEY_ID=... -e FMAI_S3_SECRET_ACCESS_KEY=... fmai-api
# config/s3.yaml points at the local MinIO on 127.0.0.1:9000, which inside a container is the container
# itself, so always set FMAI_S3_ENDPOINT. Its `endpoint: null` (the SDK's default AWS endpoint) cannot be set
# from the environment (an empty FMAI_S3_ENDPOINT is ignored): use the regional endpoint as above, or mount
# a config/s3.yaml with `endpoint: null` and `forcePathStyle: false`
# (-v $PWD/s3-aws.yaml:/app/config/s3.yaml:ro).
# The servers of docker/compose.yaml bind the host's loopback: on Linux add `--network host` and use
# 127.0.0.1 URLs (FMAI_S3_ENDPOINT=http://127.0.0.1:9000; the local default credentials then apply).
# Keys: FMAI_API_KEY_HASHES (`id:sha256[:rate[:burst]],...`, see docs/deploy.md); without it the server looks
# for the key file under HOME=/tmp (FMAI_API_KEYS_FILE), finds none and stops with "no API keys".
# Cloud Run: see docs/deploy.md (listens on $PORT, default 8080; stateless: stores are servers, keys are hashes).
FROM node:22-bookworm-slim AS build
# npm's deno package puts the binary at <prefix>/lib/node_modules/deno/deno (there is no bin/ folder)
RUN npm install -g deno@2.9.6 && deno --version
WORKDIR /app
COPY deno.json deno.lock ./
COPY lib/ lib/
COPY pipelines/ pipelines/
COPY config/ config/
RUN deno install --frozen && deno cache pipelines/serve.ts

FROM node:22-bookworm-slim
# only the binary (not the npm wrapper); the build fails here when it is missing or does not run
COPY --from=build /usr/local/lib/node_modules/deno/deno /usr/local/bin/deno
RUN deno --version \
    && useradd --system --uid 10001 --no-create-home --home-dir /tmp fmai
WORKDIR /app
COPY --from=build --chown=fmai /app /app
COPY --from=build --chown=fmai /root/.cache/deno /home/fmai/.cache/deno
# HOME is writable and outside the repository (the default key file ~/.config/fmai/api-keys.json must not be
# inside it); no update check (the container has no business calling out to dl.deno.land)
ENV DENO_DIR=/home/fmai/.cache/deno \
    DENO_NO_UPDATE_CHECK=1 \
    HOME=/tmp \
    PORT=8080 \
    FMAI_API_HOST=0.0.0.0 \
    FMAI_STORES=mysql,mongodb,s3
USER fmai
EXPOSE 8080
# /healthz answers 200 when the tables store answers (no key needed); fetch from Deno, the only runtime tool here
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["deno", "eval", "--no-config", "const r = await fetch(`http://127.0.0.1:${Deno.env.get('PORT') || 8080}/healthz`); await r.body?.cancel(); Deno.exit(r.ok ? 0 : 1);"]
# read-only code; network for the stores; /tmp for the embedded stores' scratch space only
CMD ["deno", "run", "--cached-only", "--allow-net", "--allow-env", "--allow-sys", "--allow-read", \
     "--allow-write=/tmp", "pipelines/serve.ts", "--store-dir", "/tmp/fmai"]
