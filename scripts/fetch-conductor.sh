#!/usr/bin/env bash
# Fetch the Conductor OSS server boot jar from Maven Central into a cache outside the repo
# and print its path. Idempotent: a cached jar is reused without touching the network.
#
#   scripts/fetch-conductor.sh           prints the jar path
#   scripts/fetch-conductor.sh --java    prints the java binary to run that jar with
#
# Which version: Maven Central holds only some Conductor releases (3.21.14 and 3.32.x as of
# this writing; 3.21.15 to 3.21.22 were never published there). 3.32.x needs Java 21 or
# newer, 3.21.x runs on Java 17. So the newest one the present JDKs can run is chosen:
# 3.32.3 when a Java >= 21 is found (FLOWPORT_JAVA, then `java` on PATH, then /usr/lib/jvm),
# otherwise 3.21.14 (with a warning: measured here, its SQLite persistence answers
# SQLITE_BUSY under concurrent writes, which 3.32.3 does not). FLOWPORT_CONDUCTOR_VERSION
# and FLOWPORT_JAVA override the choice;
# FLOWPORT_CACHE (default ~/.cache/flowport) moves the cache.
set -euo pipefail

NEW_VERSION=3.32.3   # needs Java >= 21
OLD_VERSION=3.21.14  # runs on Java 17
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.6.1

java_major() {  # the major version of the java binary $1, or 0 when it does not run
    local line
    line=$("$1" -version 2>&1 | head -n 1) || { echo 0; return; }
    # 'openjdk version "17.0.15" ...' or 'openjdk version "25" ...'
    line=${line#*\"}
    line=${line%%[.\"]*}
    [[ $line =~ ^[0-9]+$ ]] && echo "$line" || echo 0
}

find_java() {  # prints "<major> <path>" of the best java: one >= 21 if any, else the default
    local candidate major best="" best_major=0
    local candidates=()
    [[ -n ${FLOWPORT_JAVA:-} ]] && candidates+=("$FLOWPORT_JAVA")
    command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
    for candidate in /usr/lib/jvm/*/bin/java; do
        [[ -x $candidate ]] && candidates+=("$candidate")
    done
    for candidate in "${candidates[@]}"; do
        major=$(java_major "$candidate")
        if [[ -n ${FLOWPORT_JAVA:-} && $candidate == "$FLOWPORT_JAVA" ]]; then
            best=$candidate; best_major=$major; break  # an explicit choice wins
        fi
        if (( major > best_major )); then best=$candidate; best_major=$major; fi
    done
    [[ -n $best ]] || { echo "fetch-conductor: no java found (install a JDK 17 or newer)" >&2; exit 1; }
    echo "$best_major $best"
}

read -r JAVA_MAJOR JAVA_BIN < <(find_java)
if [[ -n ${FLOWPORT_CONDUCTOR_VERSION:-} ]]; then
    VERSION=$FLOWPORT_CONDUCTOR_VERSION
elif (( JAVA_MAJOR >= 21 )); then
    VERSION=$NEW_VERSION
else
    VERSION=$OLD_VERSION
    echo "fetch-conductor: no Java 21+ found, using conductor-server $OLD_VERSION on Java $JAVA_MAJOR;" \
         "its SQLite store answers SQLITE_BUSY under concurrent writes, so tests may be flaky:" \
         "install a JDK 21 or newer for $NEW_VERSION" >&2
fi

if [[ ${1:-} == "--java" ]]; then
    echo "$JAVA_BIN"
    exit 0
fi

CACHE_DIR=${FLOWPORT_CACHE:-$HOME/.cache/flowport}/conductor
JAR=$CACHE_DIR/conductor-server-$VERSION-boot.jar
if [[ -s $JAR ]]; then
    echo "$JAR"
    exit 0
fi

mkdir -p "$CACHE_DIR"
# Download into a private directory and move into place, so a concurrent or interrupted run
# never leaves a half-written jar under the final name.
STAGING=$(mktemp -d "$CACHE_DIR/.download.XXXXXX")
trap 'rm -rf "$STAGING"' EXIT
echo "fetch-conductor: downloading conductor-server $VERSION (a few hundred MB) ..." >&2
# Maven's output is shown only when it fails, without its colour codes (Maven 3.8 writes some
# even in batch and quiet mode).
if ! log=$(mvn -B -q -Dstyle.color=never "$DEPENDENCY_PLUGIN:copy" \
        "-Dartifact=org.conductoross:conductor-server:$VERSION:jar:boot" \
        "-DoutputDirectory=$STAGING" 2>&1); then
    printf '%s\n' "$log" | sed -e $'s/\x1b\\[[0-9;]*m//g' >&2
    echo "fetch-conductor: maven could not download conductor-server $VERSION (output above)" >&2
    exit 1
fi
mv -f "$STAGING/conductor-server-$VERSION-boot.jar" "$JAR"
echo "$JAR"
