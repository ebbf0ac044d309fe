#!/usr/bin/env bash
# Runs every benchmark and writes docs/benchmarks.md, followed by the hand-written
# benches/notes.md (what the numbers mean, where a target is missed and why).   bash benches/all.sh
set -euo pipefail
cd "$(dirname "$0")/.."
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`bash benches/all.sh\` on $(date -u +%Y-%m-%d): $(nproc) cores, Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')."
  echo "Medians from hyperfine; nothing here is a timed test."
  echo
  bash benches/cli.sh
  echo
  bash benches/start.sh
  echo
  bash benches/repl.sh --section
  echo
  bash benches/huge.sh
  echo
  bash benches/pipe.sh
  echo
  bash benches/memory.sh
  echo
  cat benches/notes.md
} > docs/benchmarks.md.new
mv docs/benchmarks.md.new docs/benchmarks.md
cat docs/benchmarks.md
