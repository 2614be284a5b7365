#!/usr/bin/env bash
# Fetches Lowkey Vault (Azure Key Vault emulator), the executable jar
# com.github.nagyesta.lowkey-vault:lowkey-vault-app, into .tmp/lowkey-vault/ with Maven.
# 3.4.33 is the last release that runs on Java 17. Tests find the jar there (or at
# LOWKEY_VAULT_JAR) and otherwise use the in-repo double (docs/decisions/0011-azure-emulator.md).
#
# The Maven Central this project reaches does not serve lowkey-vault-app (no version, no
# metadata), so by default a failed fetch is reported in one line and the script exits 0:
# the double is the emulator CI runs. `--require` makes a failed fetch exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."

version="${LOWKEY_VAULT_VERSION:-3.4.33}"
artifact="com.github.nagyesta.lowkey-vault:lowkey-vault-app:${version}:jar"
dest=".tmp/lowkey-vault"
jar="$dest/lowkey-vault-app-${version}.jar"
require=0
[ "${1:-}" = "--require" ] && require=1

if [ -f "$jar" ]; then
  echo "lowkey-vault: $jar already there"
  exit 0
fi
missing() {
  echo "lowkey-vault: $1; the Azure tests use the in-repo Key Vault double (docs/decisions/0011-azure-emulator.md)"
  if [ "$require" -eq 1 ]; then exit 1; fi
  exit 0
}
command -v java >/dev/null 2>&1 || missing "java is missing (apt-get install -y openjdk-17-jre-headless)"
command -v mvn >/dev/null 2>&1 || missing "mvn is missing (apt-get install -y maven)"

mkdir -p "$dest"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! timeout 300 mvn -B -q -U org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact="$artifact" -DoutputDirectory="$dest" -Dmdep.overWriteIfNewer=true >"$log" 2>&1; then
  missing "Maven Central did not serve $artifact ($(grep -m1 -o -E '(was not found in|Could not find artifact) [^ ]*' "$log" || echo 'mvn failed'))"
fi
# The executable (Spring Boot) jar has a Main-Class and its libraries under BOOT-INF/lib.
if command -v unzip >/dev/null 2>&1 && ! unzip -l "$jar" 2>/dev/null | grep -q 'BOOT-INF/lib/'; then
  rm -f "$jar"
  missing "$artifact is not the executable jar"
fi
echo "lowkey-vault: fetched $jar"
