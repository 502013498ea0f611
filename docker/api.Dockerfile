# The signal API (`deno task serve`) as a container: the same Hono app the Lambda runs, on Deno.serve.
# Build: docker build -f docker/api.Dockerfile -t fmai-api .
# Run:   docker run -p 8080:8080 -e FMAI_API_KEY_HASHES=... -e FMAI_STORES=mysql,mongodb,s3 \
#          -e FMAI_MYSQL_URL=... -e FMAI_MONGO_URL=... -e FMAI_S3_BUCKET=... fmai-api
# Cloud Run: see docs/deploy.md (listens on $PORT, default 8080; stateless: stores are servers, keys are hashes).
FROM node:22-bookworm-slim AS build
RUN npm install -g deno@2.9.6
WORKDIR /app
COPY deno.json deno.lock ./
COPY lib/ lib/
COPY pipelines/ pipelines/
COPY config/ config/
RUN deno install --frozen && deno cache pipelines/serve.ts

FROM node:22-bookworm-slim
COPY --from=build /usr/local/lib/node_modules/deno /usr/local/lib/node_modules/deno
RUN ln -s /usr/local/lib/node_modules/deno/bin/deno /usr/local/bin/deno \
    && useradd --system --uid 10001 --home /app fmai
WORKDIR /app
COPY --from=build --chown=fmai /app /app
COPY --from=build --chown=fmai /root/.cache/deno /home/fmai/.cache/deno
ENV DENO_DIR=/home/fmai/.cache/deno \
    PORT=8080 \
    FMAI_API_HOST=0.0.0.0 \
    FMAI_STORES=mysql,mongodb,s3
USER fmai
EXPOSE 8080
# read-only code; network for the stores; /tmp for the embedded stores' scratch space only
CMD ["deno", "run", "--cached-only", "--allow-net", "--allow-env", "--allow-sys", "--allow-read", \
     "--allow-write=/tmp", "pipelines/serve.ts", "--store-dir", "/tmp/fmai"]
