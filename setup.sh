#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for Hierscope and builds it into build/.
#   ./setup.sh            install packages (apt, npm test deps) and build
#   SKIP_APT=1 ./setup.sh build only
set -euo pipefail
cd "$(dirname "$0")"

packages=(build-essential cmake pkg-config clang-format
          qt6-base-dev qt6-svg-dev libgl1-mesa-dev
          libgraphviz-dev libonnx-dev libprotobuf-dev protobuf-compiler nlohmann-json3-dev
          xvfb xauth
          clang libclang-rt-14-dev python3-onnx   # fuzz targets (libFuzzer) and their seed builder
          lintian appstream shared-mime-info libglib2.0-bin) # the Debian package's test (tests/package)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ "${SKIP_APT:-0}" != 1 ]; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # Node.js (for ONNX Runtime in the numeric tests): Debian's, unless the machine already has one.
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

# ONNX Runtime for the numeric extraction tests (CPU, offline; skip its GPU download step).
if [ -f tests/numeric/package.json ] && [ ! -d tests/numeric/node_modules/onnxruntime-node ]; then
  (cd tests/numeric && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund)
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j"$(nproc)" >> build.log 2>&1 || { tail -60 build.log; exit 1; }
echo "setup: built into build/ (log: build.log)"
