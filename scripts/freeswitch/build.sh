#!/usr/bin/env bash
# Builds the real FreeSWITCH that the live test tier runs, from the release archives in ../shared/vendor/freeswitch
# (sofia-sip, spandsp, FreeSWITCH), into FreeSWITCH's default prefix /usr/local/freeswitch.
# Skips everything while the stamp in the prefix matches: the archives' hashes, the module list and this script.
# About 7 minutes on 2 cores the first time; nothing afterwards. Also usable by an operator on a Debian 12 host.
#   FS_VENDOR_DIR  where the archives are (default: ../shared/vendor/freeswitch beside the repository)
#   FS_PREFIX      install prefix (default /usr/local/freeswitch)
#   FS_BUILD_DIR   scratch directory (default /var/tmp/callcenter-freeswitch-build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
vendor=${FS_VENDOR_DIR:-$repo/../shared/vendor/freeswitch}
prefix=${FS_PREFIX:-/usr/local/freeswitch}
work=${FS_BUILD_DIR:-/var/tmp/callcenter-freeswitch-build}
jobs=$(nproc)

# Only what the server, its dialplan and the live tier use: loggers, the dialplan and its applications (bridge,
# playback, record_session, conference, fifo, eavesdrop), event socket, sofia with WS for the SDK, xml_curl/xml_cdr,
# the file and stream formats our prompts use, and opus for WebRTC.
modules="
loggers/mod_console
loggers/mod_logfile
applications/mod_commands
applications/mod_dptools
applications/mod_conference
applications/mod_fifo
applications/mod_db
applications/mod_hash
applications/mod_expr
applications/mod_spandsp
dialplans/mod_dialplan_xml
event_handlers/mod_event_socket
endpoints/mod_sofia
endpoints/mod_loopback
formats/mod_sndfile
formats/mod_native_file
formats/mod_tone_stream
formats/mod_local_stream
xml_int/mod_xml_curl
xml_int/mod_xml_cdr
codecs/mod_opus
say/mod_say_en
"
debs="build-essential autoconf automake libtool libtool-bin pkg-config yasm nasm libssl-dev libsqlite3-dev
libcurl4-openssl-dev libpcre2-dev libpcre3-dev libspeexdsp-dev libspeex-dev libldns-dev libedit-dev libtiff-dev
libopus-dev libsndfile1-dev uuid-dev libjpeg-dev zlib1g-dev xz-utils"

[ -d "$vendor" ] || { echo "build-freeswitch: no sources at $vendor (../shared/vendor/freeswitch)" >&2; exit 1; }
stamp_file=$prefix/.callcenter-build-stamp
want=$({ cat "$vendor/SHA256SUMS"; echo "$modules"; echo "$debs"; sed -n '/^# -- build --/,$p' "$0"; } | sha256sum | cut -d' ' -f1)
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$want" ] && [ -x "$prefix/bin/freeswitch" ]; then
  echo "build-freeswitch: $prefix is up to date"
  exit 0
fi

# -- build -- (everything below is part of the stamp)
exec 9>/var/tmp/callcenter-freeswitch-build.lock
flock 9
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$want" ] && [ -x "$prefix/bin/freeswitch" ]; then
  echo "build-freeswitch: $prefix was built meanwhile"
  exit 0
fi
started=$(date +%s)
echo "== build-freeswitch: verifying archives"
(cd "$vendor" && sha256sum -c --quiet SHA256SUMS)

missing=()
for pkg in $debs; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== build-freeswitch: apt-get install ${missing[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

rm -rf "$work"
mkdir -p "$work"
log=$work/build.log
echo "== build-freeswitch: building into $prefix (log: $log)"
run() { "$@" >>"$log" 2>&1 || { echo "build-freeswitch: failed: $*" >&2; tail -n 40 "$log" >&2; exit 1; }; }
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
export LDFLAGS="-Wl,-rpath,$prefix/lib"
export CFLAGS="-O2 -w"
export CXXFLAGS="-O2 -w"

# $1 is a glob inside the vendor folder; prints the directory the archive unpacked into.
unpack() {
  local archive
  archive=$(ls "$vendor"/$1 | head -n 1)
  tar -C "$work" -xf "$archive"
  ls -d "$work"/$2* | head -n 1
}

src=$(unpack 'sofia-sip-*.tar.xz' sofia-sip)
echo "   sofia-sip"
(cd "$src" && run ./bootstrap.sh && run ./configure --prefix="$prefix" --with-openssl --disable-static --without-glib \
  --without-doxygen && run make -j"$jobs" && run make install)

src=$(unpack 'spandsp-*.tar.xz' spandsp)
echo "   spandsp"
(cd "$src" && run ./bootstrap.sh && run ./configure --prefix="$prefix" --disable-static && run make -j"$jobs" && run make install)

src=$(unpack 'freeswitch-*.tar.xz' freeswitch-)
echo "   freeswitch"
cd "$src"
printf '%s\n' $modules > modules.conf
run ./bootstrap.sh -j
run ./configure --prefix="$prefix" --disable-libvpx --disable-libyuv --disable-debug
run make -j"$jobs"
run make install
printf '%s\n' "$want" > "$stamp_file"
cd /
rm -rf "$work"
echo "== build-freeswitch: done in $(( $(date +%s) - started )) s"
