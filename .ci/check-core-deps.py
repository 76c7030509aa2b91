"""The core's normal dependencies stay within a short allow-list.

revault-auth-core is the sans-IO part every adapter and every user pulls
in: its closure (README, "Packaging") is 19 crates besides itself, on every target. A new
crate in it, directly or through an upgrade of one already there, fails CI
here so that it is a decision, not an accident. To accept one, add it below
with the reason, and update README's closure figures.
"""
import subprocess
import sys

CORE = "revault-auth-core"

# Every crate in the core's normal dependency tree (default features, every
# target), by name; versions may move.
ALLOWED = {
    # requests and responses
    "http", "bytes", "itoa",
    # answers parsed and requests written
    "serde", "serde_core", "serde_derive", "serde_json", "memchr", "zmij",
    # the derive macros' own dependencies (build time only)
    "syn", "quote", "proc-macro2", "unicode-ident",
    # secrets redacted and wiped
    "secrecy", "zeroize",
    # error types
    "thiserror", "thiserror-impl",
    # backoff jitter
    "fastrand",
    # Retry-After dates
    "httpdate",
}

tree = subprocess.run(
    ["cargo", "tree", "-p", CORE, "-e", "normal", "--target", "all",
     "--prefix", "none", "--format", "{p}"],
    check=True,
    capture_output=True,
    text=True,
).stdout
names = {line.split()[0] for line in tree.splitlines() if line.strip()}
names.discard(CORE)
unexpected = sorted(names - ALLOWED)
print(f"{CORE}: {len(names)} normal dependencies, all on the allow-list"
      if not unexpected else f"{CORE}: {len(names)} normal dependencies")
if unexpected:
    sys.exit(
        f"{CORE} has normal dependencies that are not on its allow-list: "
        f"{', '.join(unexpected)}.\n"
        "The core stays small on purpose (every adapter and user builds it). "
        "Drop the dependency, or add it to ALLOWED in .ci/check-core-deps.py "
        "with the reason and update README's closure figures."
    )
