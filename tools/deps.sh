#!/bin/sh
# deps.sh [bench]: install the Debian packages the project needs, only those missing.
# Called by `make deps` (and `make deps-bench`); every target that needs a package depends on it.
set -eu
pkgs="gcc-riscv64-unknown-elf qemu-system-misc libelf-dev libdw-dev libcmocka-dev pkg-config python3-pyelftools python3-lxml gdb-multiarch mandoc man-db librsvg2-bin python3-jsonschema bash-completion"
# clang with libFuzzer and its sanitizers: make fuzz, make test-fuzz (tests/fuzz/fuzz.mk).
pkgs="$pkgs clang libclang-rt-14-dev"
[ "${1:-}" = bench ] && pkgs="$pkgs python3-drgn hyperfine time valgrind"
# One dpkg-query for all: every make runs this, `make check` included, so it must cost little.
installed=$(dpkg-query -W -f='${Package} ${Status}\n' $pkgs 2>/dev/null | sed -n 's/ install ok installed$//p')
missing=""
for p in $pkgs; do
  case " $(echo $installed) " in *" $p "*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
echo "deps: installing$missing"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
