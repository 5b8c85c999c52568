#!/usr/bin/env bash
# npm run check:habits: the checks every change passes before the tests run (.ci/run runs it
# right after npm ci). Each check runs even when an earlier one failed; the last line names
# the ones that failed, and the exit status is 1 if any did.
#
#   config-docs  docs/operator-guide.md's settings tables match the services' config schemas
#   knip         no unused files, dependencies or exports (knip.jsonc says what it cannot see)
#   prettier     every file Prettier formats is formatted (.prettierignore says what is not)
#   names        no two source files of one lib, service or tool share a name (index.ts aside)
#   lint         type-aware ESLint with the Nx module boundaries (eslint.config.mjs)
#   types        every project type-checks with its specs (the build leaves specs out, and jest
#                strips types without checking them)
#
# It builds first (tsc -b is incremental): config-docs reads the schemas from services/*/dist,
# and lint resolves a lib's subpath exports through its dist/ types.
set -uo pipefail
cd "$(dirname "$0")/.."

failed=()
run() {
  local name=$1
  shift
  local start=$SECONDS
  echo "== $name"
  if "$@"; then
    echo "== $name: ok ($((SECONDS - start)) s)"
  else
    echo "== $name: FAILED ($((SECONDS - start)) s)"
    failed+=("$name")
  fi
}

duplicate_names() {
  local dir dups name found=0
  for dir in libs/*/src services/*/src tools/*/src; do
    dups=$(find "$dir" -name '*.ts' -not -name '*.spec.ts' -not -name 'index.ts' -printf '%f\n' |
      sort | uniq -d)
    for name in $dups; do
      echo "${dir%/src}: $name is the name of more than one file; rename one to say its job:"
      find "$dir" -name "$name" | sed 's/^/  /'
      found=1
    done
  done
  return $found
}

spec_types() {
  local project found=0
  for project in libs/*/tsconfig.json services/*/tsconfig.json tools/*/tsconfig.json; do
    npx tsc -p "$project" --noEmit || found=1
  done
  return $found
}

lint() {
  # @nx/enforce-module-boundaries reads the project graph that Nx caches under .nx/; without
  # it the rule only warns "No cached ProjectGraph is available" and checks nothing. Compute
  # the graph first (no daemon, so it is written now), and fail if the rule still skipped.
  NX_DAEMON=false npx nx show projects > /dev/null || return 1
  local log status
  log=$(mktemp)
  # Type-aware lint keeps a TypeScript program per project in one process: past 4 GiB of heap
  # (Node's default here) with the projects of issue 10, so it gets 8.
  NODE_OPTIONS=--max-old-space-size=8192 npx eslint --max-warnings 0 . 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  if grep -q 'No cached ProjectGraph' "$log"; then
    echo "lint: the module-boundary rule was skipped (no Nx project graph)"
    status=1
  fi
  rm -f "$log"
  return "$status"
}

start=$SECONDS
echo "== build"
build_log=$(mktemp)
if ! npm run build > "$build_log" 2>&1; then
  cat "$build_log"
  rm -f "$build_log"
  echo "check:habits: FAILED: build (the checks need it)"
  exit 1
fi
rm -f "$build_log"
echo "== build: ok ($((SECONDS - start)) s)"

run config-docs node scripts/config-docs.mjs --check docs/operator-guide.md
run knip npx knip --no-progress
run prettier npx prettier --check --log-level warn .
run names duplicate_names
run lint lint
run types spec_types

if [ ${#failed[@]} -gt 0 ]; then
  echo "check:habits: FAILED: ${failed[*]} ($((SECONDS - start)) s)"
  exit 1
fi
echo "check:habits: config-docs, knip, prettier, names, lint, types all passed ($((SECONDS - start)) s)"
