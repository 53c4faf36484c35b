#!/usr/bin/env bash
# Runs a server (the rest of the command line) as RUN_AS_USER (default nobody) when started as
# root: `npm start`, `npm run start:ingest` and `npm run start:reports` go through it.
#
# Why: a query, a delivery or a bug in a server then acts with that user's rights (no writing
# /etc, no reading other users' files), not root's. DATA_DIR (and EXPORT_DIR when set) become
# that user's first, files a root-run CLI left there included. The switch is an exec (setpriv,
# from util-linux), so the server is the same process, starts fresh as the user, and signals
# reach it directly. Dropping privileges inside Node instead (process.setuid) leaves the process
# non-dumpable, its /proc/self unreadable, and chDB crashed loading an existing data directory.
#
# Not root, RUN_AS_USER=root, or no setpriv: the command runs as it is (said when root).
set -euo pipefail

user="${RUN_AS_USER:-nobody}"
say() { echo "run-as-user: $*" >&2; }

if [[ $EUID -ne 0 ]]; then exec "$@"; fi
if [[ "$user" == root ]]; then
  say "running as root because RUN_AS_USER=root: a query or delivery could act with every right"
  exec "$@"
fi
if ! command -v setpriv >/dev/null 2>&1; then
  say "running as root: setpriv (util-linux) is not installed"
  exec "$@"
fi
if ! uid="$(id -u "$user" 2>/dev/null)"; then
  say "RUN_AS_USER=$user: there is no such user"
  exit 2
fi
gid="$(id -g "$user")"
as_user=(setpriv --reuid="$uid" --regid="$gid" --clear-groups --)

data="${DATA_DIR:-./data}"
dirs=("$data")
[[ -n "${EXPORT_DIR:-}" ]] && dirs+=("$EXPORT_DIR")
mkdir -p "${dirs[@]}"
# The user must reach the code and the folders above its data, or switching would only crash later.
for need in "$PWD/package.json" "$(dirname "$(realpath "$data")")"; do
  if ! "${as_user[@]}" test -r "$need"; then
    say "stays root: $user cannot reach $need; move the checkout or DATA_DIR, or set RUN_AS_USER to a user who can"
    exec "$@"
  fi
done
chown -R "$uid:$gid" "${dirs[@]}"
say "started as root; runs as $user (uid $uid), which owns ${dirs[*]}"
exec "${as_user[@]}" "$@"
