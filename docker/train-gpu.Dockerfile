# GPU training image: Deno's built-in WebGPU (navigator.gpu) + @tensorflow/tfjs-backend-webgpu on NVIDIA's Vulkan
# driver, chosen at run time by lib/models/tf_backend.ts (WebGPU on a hardware adapter, else wasm). This follows
# what the GPU check (scripts/gpu_check.sh) does on a bare H200 machine: Debian/Ubuntu's Vulkan/EGL/GL loader
# libraries in the image, NVIDIA's driver from the host, the driver's ICD file named in VK_DRIVER_FILES.
# (@tensorflow/tfjs-node-gpu is not used: it needs CUDA 11.2 + cuDNN 8.1 and downloads libtensorflow at install.)
#
# Build: docker build -f docker/train-gpu.Dockerfile -t fmai-train-gpu .
# Check: docker run --rm --gpus all fmai-train-gpu                  # the GPU check: WebGPU vs wasm, exit 1 without a GPU
# Train: docker run --rm --gpus all -v $PWD/../shared:/shared:ro fmai-train-gpu \
#          deno task evaluate --sections trend --data /shared/data
# NVIDIA_DRIVER_CAPABILITIES must include "graphics": the container toolkit then mounts the driver's Vulkan
# library (libGLX_nvidia.so.0) and ICD file; "compute,utility" alone gives CUDA but no Vulkan device.
# Runs as root, unlike the API and Jupyter images: a batch job that listens on no port and runs only this
# repository's code; it writes reports/ and model files into /app and into bind-mounted folders owned by
# whichever host user runs it, and Deno's cache is root's (/root/.cache/deno), so `docker run --user` would
# first need those made writable for that user.
FROM ubuntu:24.04
ENV DEBIAN_FRONTEND=noninteractive \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,graphics,utility \
    XDG_RUNTIME_DIR=/tmp
# npm's deno package links /usr/local/bin/deno to the binary (<prefix>/lib/node_modules/deno/deno);
# `deno --version` fails the build when it does not run
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates xz-utils npm \
      libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 \
    && npm install -g deno@2.9.6 && rm -rf /var/lib/apt/lists/* /root/.npm \
    && deno --version
# The ICD file for hosts whose toolkit mounts the library but not the JSON (gpu_check.sh prefers the toolkit's
# /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json when it exists).
RUN mkdir -p /etc/vulkan/icd.d && printf '%s\n' \
    '{"file_format_version": "1.0.0", "ICD": {"library_path": "libGLX_nvidia.so.0", "api_version": "1.3"}}' \
    > /etc/vulkan/icd.d/nvidia_icd.json
WORKDIR /app
COPY . .
RUN deno install
# WebGPU first; wasm when no hardware adapter shows up (a software adapter is never used for real work).
ENV FMAI_TF_BACKEND=webgpu,wasm
CMD ["bash", "scripts/gpu_check.sh", "--require-gpu"]
