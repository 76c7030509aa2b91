"""The declared rust-version must be at least every dependency's own.

Only the machine's one toolchain can be installed here, so CI cannot build
with the declared version itself; this catches the common way an MSRV
silently breaks: a dependency upgrade that needs a newer compiler.
"""
import json
import subprocess
import sys


def version(text):
    return tuple(int(part) for part in text.split("."))[:3] + (0,) * (3 - len(text.split(".")))


metadata = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--format-version", "1"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
)
ours = {p["id"] for p in metadata["packages"] if p["id"] in metadata["workspace_members"]}
declared = {p["rust_version"] for p in metadata["packages"] if p["id"] in ours}
if len(declared) != 1 or None in declared:
    sys.exit(f"workspace members declare different rust-versions: {declared}")
msrv = version(declared.pop())
needed = max(
    (version(p["rust_version"]), p["name"])
    for p in metadata["packages"]
    if p["id"] not in ours and p.get("rust_version")
)
print(f"declared rust-version {'.'.join(map(str, msrv))}; highest dependency needs "
      f"{'.'.join(map(str, needed[0]))} ({needed[1]})")
if needed[0] > msrv:
    sys.exit("the declared rust-version is lower than a dependency needs")
