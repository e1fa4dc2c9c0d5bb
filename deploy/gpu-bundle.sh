#!/usr/bin/env bash
# Packs Tandem for a GPU node that has the NVIDIA driver and nothing else (no Java, no CUDA
# toolkit, no network): a jlinked Java runtime plus the fat jar, in one folder.
#
#   deploy/gpu-bundle.sh [OUT_DIR]        (default: gpu-bundle/ at the repository root)
#
# Result:
#   OUT_DIR/bin/tandem        runs the tandem command with the bundled runtime
#   OUT_DIR/gpu-check.sh      CUDA-vs-CPU check on every op, then the GEMM benchmark table
#   OUT_DIR/runtime/          jlinked runtime (needs glibc >= 2.34 when built from a Debian JDK)
#   OUT_DIR/lib/tandem-all.jar
# Copy the folder (or a tar of it) to the node and run OUT_DIR/gpu-check.sh there.
# TANDEM_MVN_OPTS adds Maven options (e.g. -o for offline).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/gpu-bundle}"
# What tandem needs of the JDK (GpuBundleModulesTest trains and runs an admin command on exactly these):
# Artery's flight recorder events (jdk.jfr), the admin client (java.net.http), Jackson's optional SQL types.
MODULES=java.base,java.logging,java.management,java.naming,java.net.http,java.sql,java.xml,jdk.jfr,jdk.management,jdk.unsupported,jdk.incubator.vector
JLINK="${JAVA_HOME:+$JAVA_HOME/bin/}jlink"
JAR="$ROOT/cli/target/tandem-all.jar"

command -v "$JLINK" >/dev/null || { echo "gpu-bundle: jlink not found (set JAVA_HOME to a JDK 17+)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "gpu-bundle: Maven (mvn) not found" >&2; exit 1; }
case "$OUT" in
  "" | / | "$ROOT") echo "gpu-bundle: refusing to write to '$OUT'" >&2; exit 1 ;;
esac

echo "gpu-bundle: building the fat jar" >&2
# shellcheck disable=SC2086  # TANDEM_MVN_OPTS is a list of options
(cd "$ROOT" && mvn -B -q ${TANDEM_MVN_OPTS:-} -DskipTests -pl cli -am package)
[ -f "$JAR" ] || { echo "gpu-bundle: $JAR was not built" >&2; exit 1; }

rm -rf "$OUT"
mkdir -p "$OUT/bin" "$OUT/lib"
echo "gpu-bundle: jlinking a runtime ($MODULES)" >&2
# jlink 21+ names the zip level (and warns that --compress=2 is deprecated)
COMPRESS=2
[ "$("$JLINK" --version | cut -d. -f1)" -lt 21 ] || COMPRESS=zip-6
"$JLINK" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages --compress="$COMPRESS" \
  --output "$OUT/runtime"
cp "$JAR" "$OUT/lib/tandem-all.jar"
# OR-Tools' natives (about 50 MB unpacked, 22 MB packed) serve only auto's exact schedule search,
# which falls back to its local search without them: left out, so the bundle stays small.
if command -v zip >/dev/null; then
  zip -q -d "$OUT/lib/tandem-all.jar" 'ortools-linux-x86-64/*' >/dev/null 2>&1 || true
else
  echo "gpu-bundle: zip not found; the jar keeps OR-Tools' natives (about 22 MB)" >&2
fi
cp "$ROOT/kernels/gpu-check.sh" "$OUT/gpu-check.sh"
chmod +x "$OUT/gpu-check.sh"

cat > "$OUT/bin/tandem" <<'LAUNCHER'
#!/usr/bin/env bash
# Tandem from a GPU bundle (made by deploy/gpu-bundle.sh): the bundled runtime runs the fat jar.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# JCuda unpacks its JNI library into java.io.tmpdir and reuses a file already there; a private
# directory per run avoids stale or half-written copies when several JVMs start at once.
TMP="$(mktemp -d "${TMPDIR:-/tmp}/tandem.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
# the CompileCommand options: the data plane's AES-GCM seal fast from the first MB (CipherJit.OPTIONS);
# native access and, on a JDK 23+ runtime, Unsafe memory access allowed: no warnings (JdkOptions)
QUIET=(--enable-native-access=ALL-UNNAMED)
FEATURE="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$HERE/runtime/release" 2>/dev/null || true)"
if [ "${FEATURE:-0}" -ge 23 ]; then
  QUIET+=(--sun-misc-unsafe-memory-access=allow)
fi
# The JVM's first stderr line is "WARNING: Using incubator modules: jdk.incubator.vector" (no option
# turns it off): passed through but that line, as the repository's ./tandem does; whole lines until
# the warning, then bytes as they come (cat), so progress bars redrawn with \r still show.
drop_incubator_warning() {
  local line n=0
  while IFS= read -r line; do
    if [[ "$line" == "WARNING: Using incubator modules:"* ]]; then
      break
    fi
    printf '%s\n' "$line"
    n=$((n + 1))
    [ "$n" -lt 5 ] || break
  done
  [ -z "${line:-}" ] || [[ "$line" == "WARNING: Using incubator modules:"* ]] || [ "$n" -ge 5 ] || printf '%s' "$line"
  cat
}
# stdout goes straight out (fd 3); stderr through the filter; the exit code is the JVM's
set +e
# shellcheck disable=SC2086  # TANDEM_JAVA_OPTS is a list of options
{ "$HERE/runtime/bin/java" --add-modules jdk.incubator.vector -Djava.io.tmpdir="$TMP" -XX:CompileCommand=quiet \
  '-XX:CompileCommand=CompileThresholdScaling,com.sun.crypto.provider.*::*,0.01' \
  '-XX:CompileCommand=CompileThresholdScaling,sun.security.provider.*::*,0.01' \
  "${QUIET[@]}" ${TANDEM_JAVA_OPTS:-} -jar "$HERE/lib/tandem-all.jar" "$@" 2>&1 1>&3 3>&- \
  | drop_incubator_warning >&2; rc="${PIPESTATUS[0]}"; } 3>&1
exit "$rc"
LAUNCHER
chmod +x "$OUT/bin/tandem"

# Newest glibc symbol version the runtime's native code asks for (what the node must have).
glibc_needed() {
  local v=""
  if command -v objdump >/dev/null; then
    v="$(objdump -T "$OUT"/runtime/bin/java "$OUT"/runtime/lib/*.so "$OUT"/runtime/lib/server/*.so 2>/dev/null \
      | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1 | sed 's/^GLIBC_//' || true)"
  fi
  echo "${v:-2.34 (not measured: no objdump)}"
}

{
  echo "Tandem GPU bundle"
  echo "commit:  $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (modified)')"
  echo "built:   $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m)"
  echo "runtime: $("$OUT/runtime/bin/java" -version 2>&1 | head -1), modules $MODULES"
  echo "needs:   x86-64 Linux, NVIDIA driver (libcuda.so.1), glibc >= $(glibc_needed)"
  echo "run:     ./gpu-check.sh    or    bin/tandem --help"
} > "$OUT/BUNDLE.txt"

"$OUT/bin/tandem" --version >/dev/null 2>&1 || { echo "gpu-bundle: the bundle does not start" >&2; exit 1; }
echo "gpu-bundle: $OUT ($(du -sh "$OUT" | cut -f1))" >&2
