#!/usr/bin/env bash
# Runs every benchmark and writes docs/benchmarks.md.   bash benches/all.sh
set -euo pipefail
cd "$(dirname "$0")/.."
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`bash benches/all.sh\` on $(date -u +%Y-%m-%d): $(nproc) cores, $(redis-server --version | cut -d' ' -f3)."
  echo "Medians from hyperfine; nothing here is a timed test."
  echo
  bash benches/cli.sh
  echo
  bash benches/repl.sh --section
  echo
  bash benches/huge.sh
  echo
  bash benches/memory.sh
} > docs/benchmarks.md.new
mv docs/benchmarks.md.new docs/benchmarks.md
cat docs/benchmarks.md
