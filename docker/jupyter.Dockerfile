# Jupyter with the Deno kernel and this repository, for the research notebooks.
# Build: docker build -f docker/jupyter.Dockerfile -t fmai-jupyter .
# Run:   docker run -p 8888:8888 -v $PWD/../shared:/shared:ro fmai-jupyter
# Runs as the unprivileged user `fmai` (uid 1000): the repository in /app is its own (notebooks can be saved),
# the Deno kernel spec and Deno's cache are in its home; the /shared mount only has to be readable.
FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
# npm's deno package links /usr/local/bin/deno to the binary (<prefix>/lib/node_modules/deno/deno);
# `deno --version` fails the build when it does not run
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates nodejs npm \
      jupyter-notebook jupyter-nbconvert python3-nbclient \
    && npm install -g deno@2.9.6 && rm -rf /var/lib/apt/lists/* /root/.npm \
    && deno --version \
    && useradd --create-home --uid 1000 --shell /bin/bash fmai \
    && install -d -o fmai -g fmai /app
WORKDIR /app
USER fmai
COPY --chown=fmai:fmai . .
RUN deno install && deno jupyter --install
EXPOSE 8888
CMD ["jupyter", "notebook", "--ip=0.0.0.0", "--no-browser", "--notebook-dir=/app/notebooks"]
