#!/usr/bin/env bash
# Make `ssh`, `ssh-keygen` and `sshd` available for the tunnel tests, idempotently (needs root
# to install). Nothing is started here: each test session starts its own private sshd on
# 127.0.0.1 with generated keys (tests/sshd.py) and stops it by pid. The package's own service
# is kept from starting (policy-rc.d), so no sshd ever listens on port 22 because of this script.
set -euo pipefail

need=()
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
((${#need[@]})) || exit 0

echo "ssh-setup: installing ${need[*]}"
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
fi
cleanup() { if [ "$made_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
