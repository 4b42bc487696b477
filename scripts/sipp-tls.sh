#!/usr/bin/env bash
# A TLS-capable sipp for the SIP-over-TLS end-to-end test (`sipp -t l1`), kept in a cache outside the repository:
# ${XDG_CACHE_HOME:-~/.cache}/callscreen/sipp-tls/<version>/sipp, and ../sipp, a link to the one fetched last.
#
# Why not the sipp that system-packages.sh installs: Debian 12's sip-tester (3.6.1) is built without TLS — its source
# package Build-Conflicts with libssl-dev — and its source tarballs are not on the package mirror (apt-get source
# gets the .dsc, then 404 for the .orig.tar.gz, as for Debian 13's; other packages' sources download), so it cannot
# be rebuilt with TLS here. Debian 13's sip-tester (3.7.3, wolfSSL) has TLS but its client fails on every call here
# ("SSL_connect failed ... SSL_ERROR_WANT_READ. Attempt 1. Retrying..." then "Unable to send TLS message", against
# our node and against `openssl s_server` alike: SIPp issue 719, open, "something breaks on 3.7.x"). Debian
# unstable's (3.8.0, OpenSSL: "SIPp v3.8.0-TLS-SCTP-PCAP") works. Its binary package and the libraries it links
# (unstable's glibc among them; those a library of that set needs and this system lacks too) are fetched with
# apt-get through a private apt state — this machine's own Debian sources with the suite renamed, so the system's
# apt and packages are untouched — unpacked with dpkg -x, and run under their own dynamic loader by a small wrapper.
# About 10 MB to fetch (31 MB unpacked) and 49 s once (measured at load average 14 on 2 cores); a second run finds the
# cache and only prints the wrapper's path (under a second).
set -euo pipefail
SUITE=sid
PACKAGE=sip-tester
home="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"  # as Python's Path.home(), which the test uses
cache="${XDG_CACHE_HOME:-$home/.cache}/callscreen/sipp-tls"
has_tls() {  # `sipp -v` exits 99 after printing its version and build options
    case "$("$1" -v 2>/dev/null || true)" in *"-TLS-"*) return 0 ;; *) return 1 ;; esac
}
if [ -x "$cache/sipp" ] && has_tls "$cache/sipp"; then
    echo "$cache/sipp"
    exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"

# The machine's Debian sources (deb822 or one-line), main suite only, renamed to $SUITE: no host name lives here.
python3 - "$SUITE" > "$work/sources.list" <<'EOF'
import glob, re, sys
suite = sys.argv[1]
codename = dict(line.strip().split("=", 1) for line in open("/etc/os-release") if "=" in line).get(
    "VERSION_CODENAME", "").strip('"')
out = []
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in re.split(r"\n\s*\n", open(path).read()):
        fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.M))
        if "deb" in fields.get("Types", "").split() and codename in fields.get("Suites", "").split():
            for uri in fields.get("URIs", "").split():
                signed = f" [signed-by={fields['Signed-By']}]" if fields.get("Signed-By", "").startswith("/") else ""
                out.append(f"deb{signed} {uri} {suite} main")
for path in ["/etc/apt/sources.list", *glob.glob("/etc/apt/sources.list.d/*.list")]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        match = re.match(rf"^deb\s+(\[[^\]]*\]\s+)?(\S+)\s+{re.escape(codename)}\s", line)
        if match:
            out.append(f"deb {match.group(1) or ''}{match.group(2)} {suite} main")
if not out:
    sys.exit(f"sipp-tls: no Debian '{codename}' source found under /etc/apt")
print("\n".join(dict.fromkeys(out)))
EOF
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Dir::State::status=/dev/null -qq)
[ "$(id -u)" -ne 0 ] || apt_opts+=(-o APT::Sandbox::User=root)  # root: download into $work without the _apt user
apt-get "${apt_opts[@]}" update >/dev/null
version="$(apt-cache "${apt_opts[@]}" show "$PACKAGE" | sed -n 's/^Version: //p' | head -1)"
[ -n "$version" ] || { echo "sipp-tls: no $PACKAGE in Debian $SUITE" >&2; exit 1; }
target="$cache/${version//:/_}"
depends() {  # the lib* packages the given packages depend on, in $SUITE
    apt-cache "${apt_opts[@]}" depends --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
        --no-enhances "$@" | sed -n 's/^ *Depends: //p' | grep '^lib' | sort -u
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
mapfile -t libs < <(depends "$PACKAGE")
for lib in $(depends "${libs[@]}"); do
    case " ${libs[*]} " in *" $lib "*) ;; *) installed "$lib" || libs+=("$lib") ;; esac
done
(cd "$work/debs" && apt-get "${apt_opts[@]}" download "$PACKAGE" "${libs[@]}" >/dev/null)
rm -rf "$target.partial"
mkdir -p "$target.partial"
for deb in "$work"/debs/*.deb; do
    dpkg -x "$deb" "$target.partial/root"
done
cat > "$target.partial/sipp" <<EOF
#!/bin/sh
# Debian $SUITE's sipp $version under its own loader and libraries (written by scripts/sipp-tls.sh).
lib="$target/root/usr/lib/x86_64-linux-gnu"
exec "\$lib/ld-linux-x86-64.so.2" --library-path "\$lib" "$target/root/usr/bin/sipp" "\$@"
EOF
chmod +x "$target.partial/sipp"
rm -rf "$target"
mv "$target.partial" "$target"
has_tls "$target/sipp" || { echo "sipp-tls: $target/sipp has no TLS" >&2; exit 1; }
ln -sfn "${version//:/_}/sipp" "$cache/sipp"
echo "$cache/sipp"
