#!/usr/bin/env bash
# test_package BUILD_DIR VERSION: builds the .deb from BUILD_DIR with cpack, lints it, unpacks it into a
# temporary root and runs what it installed there, as a user of the package would.
set -euo pipefail
build=$1 version=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# contains PATTERN COMMAND...: COMMAND's output matches PATTERN (captured first: `cmd | grep -q` would
# break cmd's pipe at the first match, which pipefail reports as a failure).
contains() { local out; out=$("${@:2}") && grep -q -- "$1" <<<"$out"; }

echo "== cpack -G DEB"
(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
deb="$work/out/hierscope_${version}_amd64.deb"
[ -f "$deb" ] || { ls "$work/out"; fail "no $(basename "$deb")"; }
dpkg-deb --info "$deb"

echo "== control fields"
field() { dpkg-deb --field "$deb" "$1"; }
[[ "$(field Maintainer)" =~ ^[^\<]+\ \<[^@\>]+@[^\>]+\>$ ]] || fail "Maintainer without an address: $(field Maintainer)"
[[ "$(field Depends)" == *python3* && "$(field Depends)" == *libqt6widgets6* ]] || fail "Depends: $(field Depends)"
[ "$(field Suggests)" = python3-torch ] || fail "Suggests: $(field Suggests)"
[ "$(field Description | wc -l)" -gt 5 ] || fail "no long description"

echo "== lintian"
# Errors and warnings both fail, and none is overridden (informational tags are shown, none remains).
lintian --fail-on error,warning --display-info --tag-display-limit 0 "$deb" | tee "$work/lintian.log" ||
  fail "lintian: see above"

echo "== unpacked into a temporary root"
root="$work/root"
dpkg -x "$deb" "$root"
find "$root" -type f | sed "s|^$root||" | sort
cli="$root/usr/bin/hierscope-cli"
[ "$("$cli" --version)" = "hierscope-cli $version" ] || fail "hierscope-cli --version: $("$cli" --version)"
"$cli" info "$root/usr/share/hierscope/samples/bert_like_op17.onnx" | tee "$work/info.txt"
grep -q "214" "$work/info.txt" || fail "info does not report the sample's 214 nodes"
"$cli" info "$root/usr/share/hierscope/samples/bert_like_op17.onnx" \
  --sidecar "$root/usr/share/hierscope/samples/bert_like_op17_seed_sidecar.json" >/dev/null || fail "info --sidecar"
# The GUI answers --version and --help without a display.
gui_version=$(env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM "$root/usr/bin/hierscope" --version)
[ "$gui_version" = "Hierscope $version" ] || fail "hierscope --version: $gui_version"
contains --sidecar env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM "$root/usr/bin/hierscope" --help ||
  fail "hierscope --help"
contains convert "$root/usr/bin/hierscope-export" --help || fail "hierscope-export --help"

echo "== hardening (dpkg-buildflags) and stripping"
for exe in hierscope hierscope-cli; do
  bin="$root/usr/bin/$exe"
  contains GNU_RELRO readelf -lW "$bin" || fail "$exe: no RELRO"
  contains 'BIND_NOW\|FLAGS.*NOW' readelf -dW "$bin" || fail "$exe: no BIND_NOW"
  contains 'DYN (' readelf -hW "$bin" || fail "$exe: not PIE"
  contains '__stack_chk_fail' readelf -W --dyn-syms "$bin" || fail "$exe: no stack protector"
  contains '__[a-z]*_chk@' readelf -W --dyn-syms "$bin" || fail "$exe: no _FORTIFY_SOURCE"
  contains '\.debug_info\|\.symtab\|\.comment' readelf -SW "$bin" && fail "$exe: not stripped"
done

echo "== desktop integration: MIME type, AppStream, desktop entry"
# The MIME definition is accepted by shared-mime-info and maps *.onnx to application/x-onnx.
cp -r "$root/usr/share/mime" "$work/mime"
update-mime-database "$work/mime" 2>/dev/null # (it notes that $work is not in XDG_DATA_DIRS)
grep -q '^50:application/x-onnx:\*\.onnx$' "$work/mime/globs2" || fail "no *.onnx glob in the MIME database"
# With that database, GIO (what GNOME's and most file managers use) types the installed sample as
# application/x-onnx, the type the desktop entry opens.
contains 'content-type: application/x-onnx$' env XDG_DATA_DIRS="$work" XDG_DATA_HOME="$work/none" \
  gio info -a standard::content-type "$root/usr/share/hierscope/samples/bert_like_op17.onnx" ||
  fail "gio does not see the sample as application/x-onnx"
grep -q '^MimeType=application/x-onnx;$' "$root/usr/share/applications/hierscope.desktop" || fail "desktop MimeType"
appstreamcli validate --no-net "$root"/usr/share/metainfo/*.metainfo.xml || fail "appstreamcli validate"
echo "test_package: OK ($(basename "$deb"), $(du -h "$deb" | cut -f1))"
