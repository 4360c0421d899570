#!/usr/bin/env bash
# Regenerates public/media/test-pattern.webm, the small test video the end-to-end tests and the benchmark play.
# 120 s, 256x144, 12 fps, VP8 with a keyframe every second (seeks land quickly), a big burnt-in clock so a screenshot
# shows the position. Needs Debian's ffmpeg (apt-get install ffmpeg); the generated file is committed, so nothing
# else needs ffmpeg.
set -euo pipefail
cd "$(dirname "$0")/.."
ffmpeg -y -hide_banner -loglevel error \
  -f lavfi -i "testsrc2=size=256x144:rate=12:duration=120" \
  -vf "drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:text='%{pts\:hms}':x=(w-tw)/2:y=h-th-12:fontsize=24:fontcolor=white:box=1:boxcolor=black@0.6" \
  -c:v libvpx -b:v 40k -g 12 -keyint_min 12 -deadline good -cpu-used 4 -an \
  public/media/test-pattern.webm
ls -l public/media/test-pattern.webm
