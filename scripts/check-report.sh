#!/usr/bin/env bash
# Screenshot a halcyon report page with headless Chromium and check the picture is not blank.
#
#   scripts/check-report.sh <report.html> <out.png>
#
# Environment: CHROMIUM (default /usr/bin/chromium), REPORT_WIDTH (1400), REPORT_HEIGHT (3000),
# REPORT_TIMEOUT seconds (90).
#
# Exit status: 0 when the PNG exists, has the window's width and a plausible height, and holds
# enough distinct colours and non-background pixels to be a rendered report; 1 otherwise;
# 2 on bad usage. When Chromium is missing and we run as root, installs the Debian package.
set -euo pipefail

die() { echo "check-report: $*" >&2; exit 1; }

[[ $# -eq 2 ]] || { echo "usage: $0 <report.html> <out.png>" >&2; exit 2; }
html=$1
png=$2
[[ -f $html ]] || die "no such file: $html"

chromium=${CHROMIUM:-/usr/bin/chromium}
width=${REPORT_WIDTH:-1400}
height=${REPORT_HEIGHT:-3000}
limit=${REPORT_TIMEOUT:-90}

if [[ ! -x $chromium ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "check-report: $chromium missing; installing the Debian package chromium" >&2
        # A fresh machine may have no package lists yet.
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2 \
            || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2; } \
            || die "could not install chromium"
    fi
    [[ -x $chromium ]] || die "$chromium not found (install the Debian package chromium, or set CHROMIUM)"
fi

abs_html=$(realpath "$html")
mkdir -p "$(dirname "$png")"
abs_png=$(realpath -m "$png")
rm -f "$abs_png"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

# Chromium sometimes lingers after writing the screenshot; the timeout ends it, and the PNG is
# judged on its own below.
status=0
timeout --kill-after=10 "$limit" "$chromium" \
    --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size="$width,$height" \
    --screenshot="$abs_png" "file://$abs_html" >"$profile/chromium.log" 2>&1 || status=$?
if [[ ! -s $abs_png ]]; then
    tail -n 20 "$profile/chromium.log" >&2 || true
    die "chromium (exit status $status) wrote no screenshot to $abs_png"
fi

python3 - "$abs_png" "$width" <<'PY'
"""Decode the PNG with the standard library only and judge whether it shows a page."""
import struct
import sys
import zlib

path, expected_width = sys.argv[1], int(sys.argv[2])


def fail(message):
    print(f"check-report: {path}: {message}", file=sys.stderr)
    sys.exit(1)


with open(path, "rb") as file:
    data = file.read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    fail("not a PNG")
chunks, at = {}, 8
while at < len(data):
    (length,), kind = struct.unpack(">I", data[at:at + 4]), data[at + 4:at + 8]
    chunks.setdefault(kind, []).append(data[at + 8:at + 8 + length])
    at += 12 + length
width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"][0])
channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour_type)
if depth != 8 or channels is None or interlace:
    fail(f"unexpected PNG format (depth {depth}, colour type {colour_type}, interlace {interlace})")
if width != expected_width or not 400 <= height <= 20000:
    fail(f"implausible size {width}x{height} (expected width {expected_width})")

raw = zlib.decompress(b"".join(chunks[b"IDAT"]))
stride = width * channels
previous = bytearray(stride)
colours = {}
for row in range(height):
    start = row * (stride + 1)
    kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
    # PNG spec, section 9.2: undo the row's filter.
    if kind == 1:
        for i in range(channels, stride):
            line[i] = (line[i] + line[i - channels]) & 0xFF
    elif kind == 2:
        line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
    elif kind == 3:
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
    elif kind == 4:
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + predictor) & 0xFF
    elif kind != 0:
        fail(f"bad filter type {kind} in row {row}")
    # Count every second pixel of every second row: plenty to judge, half the work.
    if row % 2 == 0:
        for i in range(0, stride, 2 * channels):
            pixel = bytes(line[i:i + channels])
            colours[pixel] = colours.get(pixel, 0) + 1
    previous = line

total = sum(colours.values())
background = max(colours.values())
ink = 1 - background / total
print(f"check-report: {path}: {width}x{height}, {len(colours)} colours, {ink:.1%} non-background pixels")
if len(colours) < 16:
    fail(f"only {len(colours)} distinct colours: the page looks blank")
if ink < 0.02:
    fail(f"only {ink:.2%} of the pixels differ from the background: the page looks blank")
PY
