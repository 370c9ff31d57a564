# contrib/deps.sh — sourced by quickstart.sh and test.sh: install the Debian
# packages gilde needs, and only those that are missing.
GILDE_PACKAGES=(
  meson ninja-build pkg-config gcc python3 python3-jsonschema python3-feedparser
  libuv1-dev libsodium-dev libmsgpack-dev liblmdb-dev libjansson-dev
  libinih-dev libcmocka-dev libical-dev libutf8proc-dev libstemmer-dev libpcre2-dev libxml2-dev
  clang libclang-rt-14-dev
  scdoc groff-base libmicrohttpd-dev wrk
  chromium chromium-driver python3-selenium fonts-dejavu-core python3-pyflakes
)

gilde_install_deps() {
  local missing=() p
  for p in "${GILDE_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  echo "installing: ${missing[*]}" >&2
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Configure (or reconfigure) and build one build directory.
gilde_build() {
  local dir=$1
  shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
  ninja -C "$dir"
}
