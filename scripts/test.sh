#!/usr/bin/env bash
# Restores, builds and runs the whole test suite; ends with one line
# "N passed, N failed, N skipped" and exits non-zero on any failure.
#   scripts/test.sh            the default suite (CI)
#   scripts/test.sh --long     also the long suites (tests with the trait Category=Long)
#   extra arguments after -- go to dotnet test (e.g. -- --filter FullyQualifiedName~Onnx)
set -euo pipefail
cd "$(dirname "$0")/.."

filter="Category!=Long"
extra=()
while (( $# )); do
  case "$1" in
    --long) filter=""; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: scripts/test.sh [--long] [-- dotnet-test-args]" >&2; exit 2 ;;
  esac
done

scripts/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet restore Accelerator.sln --nologo -v quiet
dotnet build Accelerator.sln -c Release --no-restore --nologo -v quiet -clp:ErrorsOnly

results=TestResults
rm -rf "$results"
status=0
# One test project at a time: on a 2-core machine, parallel projects starve each other (the ILGPU
# CPU accelerator's worker threads degrade several-fold when another process holds the cores).
for project in tests/*/*.csproj; do
  args=(test "$project" -c Release --no-build --nologo --logger trx --results-directory "$results")
  [[ -n $filter ]] && args+=(--filter "$filter")
  dotnet "${args[@]}" "${extra[@]}" || status=$?
done

passed=0 failed=0 skipped=0
shopt -s nullglob
for trx in "$results"/*.trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  # xunit skips are results with outcome NotExecuted; the counters element does not count them.
  skipped=$((skipped + $(grep -c '<UnitTestResult [^>]*outcome="NotExecuted"' <(grep -o '<UnitTestResult [^>]*>' "$trx") || true)))
done
echo "$passed passed, $failed failed, $skipped skipped"
if (( status != 0 || failed != 0 )); then exit 1; fi
if (( passed == 0 )); then echo "no test ran" >&2; exit 1; fi
