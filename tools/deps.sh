#!/bin/sh
# deps.sh [bench]: install the Debian packages the project needs, only those missing.
# Called by `make deps` (and `make deps-bench`); every target that needs a package depends on it.
set -eu
pkgs="gcc-riscv64-unknown-elf qemu-system-misc libelf-dev libdw-dev libcmocka-dev pkg-config python3-pyelftools gdb-multiarch"
[ "${1:-}" = bench ] && pkgs="$pkgs python3-drgn hyperfine time"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
echo "deps: installing$missing"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
