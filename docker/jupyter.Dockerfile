# Jupyter with the Deno kernel and this repository, for the research notebooks.
# Build: docker build -f docker/jupyter.Dockerfile -t fmai-jupyter .
# Run:   docker run -p 8888:8888 -v $PWD/../shared:/shared:ro fmai-jupyter
FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates nodejs npm \
      jupyter-notebook jupyter-nbconvert python3-nbclient \
    && npm install -g deno@2.9.6 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN deno install && deno jupyter --install
EXPOSE 8888
CMD ["jupyter", "notebook", "--ip=0.0.0.0", "--no-browser", "--allow-root", "--notebook-dir=/app/notebooks"]
