#!/usr/bin/env bash
# Conformance of the auth emulator (revault-auth-mock) to the OpenAPI spec, with schemathesis.
#
# - installs schemathesis 4.x into a venv at ${VENV:-/tmp/revault-venv} when missing;
# - builds and starts the emulator (`--example serve`) on a free port, reads its base URL
#   from the first line it prints;
# - runs schemathesis against it and exits with schemathesis' status.
#
# Environment: VENV (venv path), SCHEMATHESIS_REPORT_DIR (if set, a JUnit report is written
# there), CARGO_TARGET_DIR (honoured by cargo as usual).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

spec="../shared/spec/revault-auth.openapi.json"
if [[ ! -f "$spec" ]]; then
    echo "schemathesis.sh: spec not found at $repo_root/$spec" >&2
    exit 2
fi

VENV="${VENV:-/tmp/revault-venv}"
if [[ ! -x "$VENV/bin/schemathesis" ]]; then
    echo "schemathesis.sh: installing schemathesis into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'schemathesis>=4,<5'
fi

# Build first, so that the wait for the URL below does not include compilation.
# A debug build: `cargo test --workspace` has already compiled it, and speed
# does not matter for conformance.
cargo build -p revault-auth-mock --example serve

workdir="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

# `cargo run` replaces itself with the server on Unix, so $! is the server's pid.
cargo run --quiet -p revault-auth-mock --example serve -- --port 0 \
    >"$workdir/stdout" 2>"$workdir/stderr" &
server_pid=$!

BASE=""
for _ in $(seq 1 300); do
    if [[ -s "$workdir/stdout" ]]; then
        BASE="$(head -n 1 "$workdir/stdout")"
        [[ "$BASE" == http*://* ]] && break
        BASE=""
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "schemathesis.sh: the emulator exited early:" >&2
        cat "$workdir/stderr" >&2
        exit 2
    fi
    sleep 0.1
done
if [[ -z "$BASE" ]]; then
    echo "schemathesis.sh: the emulator printed no base URL within 30 s" >&2
    cat "$workdir/stderr" >&2
    exit 2
fi
echo "schemathesis.sh: emulator at $BASE" >&2

report_args=()
if [[ -n "${SCHEMATHESIS_REPORT_DIR:-}" ]]; then
    mkdir -p "$SCHEMATHESIS_REPORT_DIR"
    report_args=(--report junit --report-dir "$(cd "$SCHEMATHESIS_REPORT_DIR" && pwd)")
fi

# Run from the scratch directory: schemathesis keeps a cache (`.schemathesis/`) in its
# working directory, which must neither land in the repo nor replay old runs.
spec_abs="$repo_root/$spec"
status=0
(
    cd "$workdir"
    # `ignored_auth` is excluded because both operations are public: they are how a client
    # obtains credentials, so they rightly answer without an Authorization header,
    # although the spec's global `security` lists bearer auth for them.
    "$VENV/bin/schemathesis" run "$spec_abs" \
        --url "$BASE" \
        -n 50 --seed 1 \
        --generation-database none \
        --exclude-checks ignored_auth \
        "${report_args[@]}"
) || status=$?

exit "$status"
