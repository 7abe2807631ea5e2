# Sourced by scripts/serve and scripts/test: installs the Debian 12 packages hybrid needs, only
# those missing, so a second run costs a dpkg query and no network.
hybrid_install_deps() {
  local wanted=(cmake ninja-build g++ clang libclang-rt-14-dev pkg-config
                libboost-dev libmagic-dev zlib1g-dev libssl-dev openssl libcli11-dev libgtest-dev
                libbenchmark-dev libhttp-parser-dev curl ca-certificates python3 chromium)
  local missing=()
  for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root or sudo to install: ${missing[*]}" >&2; return 1; }
    sudo=sudo
  fi
  echo "installing: ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
}
