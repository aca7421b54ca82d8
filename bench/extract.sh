#!/bin/sh
# Compiles bench/extract.ts (the repository has no ts-node / tsx) into a temp dir and runs it.
# Usage: bench/extract.sh [--gb 4] [--samples 4000] [--s3-gb 0.5] [--no-s3]
set -e
cd "$(dirname "$0")/.."
OUT=$(mktemp -d /tmp/provml-bench-build-XXXXXX)
trap 'rm -rf "$OUT"' EXIT
npx tsc --outDir "$OUT" --rootDir . --module commonjs --target es2022 --strict --esModuleInterop \
  --skipLibCheck --experimentalDecorators --emitDecoratorMetadata --types node bench/extract.ts test/helpers/s3rver-module.d.ts
# Built outside the tree, so point module resolution at the repository's node_modules.
NODE_PATH="$PWD/node_modules" node "$OUT/bench/extract.js" "$@"
