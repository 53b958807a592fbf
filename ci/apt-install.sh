#!/usr/bin/env bash
# Installs Debian packages for the ci/install-*.sh scripts: apt-get update, then install, quietly,
# with sudo when not root; DEBIAN_FRONTEND goes through env, since sudo resets the environment (no
# debconf question may wait unseen). Usage: ci/apt-install.sh CALLER PACKAGE...
set -euo pipefail
caller=$1
shift
[ $# -gt 0 ] || exit 0
echo "$caller: installing $*"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
