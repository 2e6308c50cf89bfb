#!/usr/bin/env bash
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# The demo behind `make demo`, run from the repository root with the development tools on PATH:
#   1. start the local sandbox (Curity, Konnect, Dev Portal and gateway stand-ins);
#   2. build the collection and install it into a temporary collections path;
#   3. run playbooks/dcr_curity.yml with --check --diff (shows what would change, writes nothing);
#   4. run it for real, then show the application's client id (never its secret) and the gateway's answer;
#   5. run it again to show that nothing changes;
#   6. stop the sandbox (always, also on failure or Ctrl-C).
# Every figure printed comes from the runs and from the sandbox's request log.
set -euo pipefail

cd "$(dirname "$0")/../.."
PYTHON="$(command -v python)"
WORK="$(mktemp -d -t devportal-dcr-demo.XXXXXX)"
SANDBOX_PID=""

stop_sandbox() {
    if [[ -n "$SANDBOX_PID" ]] && kill -0 "$SANDBOX_PID" 2>/dev/null; then
        kill -TERM "$SANDBOX_PID" 2>/dev/null || true
        wait "$SANDBOX_PID" 2>/dev/null || true
        echo "== sandbox stopped"
    fi
    SANDBOX_PID=""
}
cleanup() {
    local rc=$?
    stop_sandbox
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() { printf '\n== %s\n' "$*"; }

# The sandbox's control API: request log of the Curity, Konnect, portal and gateway stand-ins.
control() {
    "$PYTHON" - "$WORK/sandbox.json" "$@" <<'PY'
import json, sys, urllib.request
info = json.load(open(sys.argv[1]))
action = sys.argv[2]
base = info["control_url"]
if action == "clear":
    urllib.request.urlopen(urllib.request.Request(base + "/requests", method="DELETE"), timeout=30).read()
elif action == "writes":
    entries = json.load(urllib.request.urlopen(base + "/requests", timeout=30))
    writes = [e for e in entries if e["method"] in ("POST", "PUT", "PATCH", "DELETE")]
    # Logging in to the portal and asking Curity for a token write nothing that the demo manages.
    changes = [e for e in writes if not (e["service"] == "curity-runtime" or e["path"].endswith("/authenticate")
                                         or e["path"].endswith("/verify"))]
    print("%d requests, %d of them writing to Curity or Konnect%s" % (len(entries), len(changes), ":" if changes else ""))
    for e in changes:
        print("     %s %s %s -> %s" % (e["service"], e["method"], e["path"], e["status"]))
PY
}

recap() { grep -E '^localhost +:' "$1" | sed 's/^/   /' || true; }

step "Starting the sandbox"
"$PYTHON" tests/sandbox/serve --info-file "$WORK/sandbox.json" >"$WORK/sandbox.log" 2>&1 &
SANDBOX_PID=$!
for _ in $(seq 1 600); do
    [[ -s "$WORK/sandbox.json" ]] && break
    if ! kill -0 "$SANDBOX_PID" 2>/dev/null; then
        echo "the sandbox exited:" >&2
        cat "$WORK/sandbox.log" >&2
        SANDBOX_PID=""
        exit 1
    fi
    sleep 0.1
done
[[ -s "$WORK/sandbox.json" ]] || { echo "the sandbox did not start in 60s" >&2; cat "$WORK/sandbox.log" >&2; exit 1; }
"$PYTHON" - "$WORK/sandbox.json" <<'PY'
import json, sys
info = json.load(open(sys.argv[1]))
for key in ("curity_admin_url", "curity_issuer", "konnect_url", "portal_url", "gateway_url"):
    print("   %-17s %s" % (key, info[key]))
PY

step "Building and installing the collection"
ansible-galaxy collection build --force --output-path "$WORK/dist" . >"$WORK/build.log"
ansible-galaxy collection install --force -p "$WORK/collections" "$WORK"/dist/devportal-dcr-*.tar.gz >"$WORK/install.log"
sed -n 's/^/   /p' "$WORK/build.log" "$WORK/install.log" | grep -E 'Created|installed' || true

export ANSIBLE_COLLECTIONS_PATH="$WORK/collections"
export ANSIBLE_LOCAL_TEMP="$WORK/ansible-tmp"
export ANSIBLE_HOME="$WORK/ansible-home"
export ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_NOCOLOR=1
export DCR_SANDBOX_INFO="$WORK/sandbox.json"
PLAY=(ansible-playbook -i playbooks/inventories/sandbox playbooks/dcr_curity.yml)

step "Dry run: ${PLAY[*]} --check --diff"
control clear
"${PLAY[@]}" --check --diff | tee "$WORK/check.log"
echo "-- sandbox during the dry run: $(control writes)"

step "Real run: ${PLAY[*]}"
control clear
"${PLAY[@]}" | tee "$WORK/apply.log"
echo "-- sandbox during the real run: $(control writes)"

step "Second run (must change nothing)"
control clear
"${PLAY[@]}" >"$WORK/again.log"
echo "-- sandbox during the second run: $(control writes)"

step "Summary"
echo " Dry run recap:";    recap "$WORK/check.log"
echo " Real run recap:";   recap "$WORK/apply.log"
echo " Second run recap:"; recap "$WORK/again.log"
echo " What the real run did (client ids shown; the application's secret is in its credentials file only):"
grep -oE '"(Curity|Konnect|Dev Portal|Request through)[^"]*' "$WORK/apply.log" | sed 's/^"/   /' || true
if ! grep -qE '^localhost +:.* changed=0 ' "$WORK/again.log"; then
    echo "the second run changed something:" >&2
    cat "$WORK/again.log" >&2
    exit 1
fi
echo " The second run changed nothing."
