# GPU training image: CUDA 11.2 + cuDNN 8.1 (what @tensorflow/tfjs-node-gpu 4.x links against), Deno, this repo.
# Build: docker build -f docker/train-gpu.Dockerfile -t fmai-train-gpu .
# Run:   docker run --gpus all -v $PWD/../shared:/shared:ro fmai-train-gpu deno task pipeline --source csv \
#          --data-dir /shared/data/sp500-5yr-ohlcv --symbols AAPL,MSFT
# lib/models/tf_backend.ts picks tfjs-node-gpu at run time when it loads, else tfjs-node, else wasm.
FROM nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates python3 make g++ \
    && curl -fsSL https://deb.nodesource.com/setup_22.x | bash - && apt-get install -y nodejs \
    && npm install -g deno@2.9.6 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
# tfjs-node-gpu downloads libtensorflow (GPU) in its install script: allowed here, unlike on CI machines.
RUN deno install && deno add --allow-scripts npm:@tensorflow/tfjs-node-gpu@4.22.0
CMD ["deno", "task", "demo"]
