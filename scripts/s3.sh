#!/usr/bin/env bash
# A real S3 server on this machine for state shared the way a team shares it (Linux only): MinIO,
# built from its Go module by scripts/toolchain/build.sh, on 127.0.0.1 only, with its own data
# folder and credentials made on its first start, and one bucket for Pulumi state.
#
# Usage: s3.sh start | stop | delete | status | env
#   start   builds MinIO if missing, starts it (again with the same port, credentials and data after
#           a stop), waits until it answers and makes the bucket
#   stop    stops the server; its data, port and credentials stay for the next start
#   delete  stops it and removes its folder: data and credentials
#   env     prints `export` lines for a shell (`eval "$(bash scripts/s3.sh env)"`): the
#           credentials and PULUMI_BACKEND_URL of the bucket
# Its folder is $SA_WORKLOAD_S3_DIR, else s3/ in the toolchain's cache folder.
set -euo pipefail
# shellcheck source=toolchain/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/toolchain/lib.sh"

S3_DIR="${SA_WORKLOAD_S3_DIR:-$CACHE_ROOT/s3}"
BUCKET=sa-workload-state
REGION=us-east-1
MINIO="$MINIO_BIN_DIR/minio"

# The port and credentials are chosen once, on the first start, and kept until `delete`.
settings() {
    if [ ! -f "$S3_DIR/settings" ]; then
        # Its own folder: a new one, or an empty one (a test's temporary folder), never another's.
        if [ -n "$(ls -A "$S3_DIR" 2>/dev/null)" ]; then
            log "s3: $S3_DIR holds files but no settings of this server: not using it"
            return 1
        fi
        mkdir -p "$(dirname "$S3_DIR")"
        [ -d "$S3_DIR" ] || mkdir -m 700 "$S3_DIR"
        local first
        first=$(free_port 39100) || { log "s3: no free port in 39100-39199" && return 1; }
        {
            echo "PORT=$first"
            echo "CONSOLE_PORT=$(free_port $((first + 1)))"
            echo "ACCESS_KEY=sa-workload-$(random 8)"
            echo "SECRET_KEY=$(random 40)"
        } >"$S3_DIR/settings.tmp"
        chmod 600 "$S3_DIR/settings.tmp" && mv "$S3_DIR/settings.tmp" "$S3_DIR/settings"
    fi
    # shellcheck disable=SC1091 # written above
    . "$S3_DIR/settings"
    ENDPOINT="http://127.0.0.1:$PORT"
}

random() { tr -dc 'A-Za-z0-9' </dev/urandom | head -c "$1" || true; }

# Whether something on 127.0.0.1 listens on PORT.
listening() { (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port FROM: the first port from FROM on that nothing on 127.0.0.1 listens on.
free_port() {
    local p
    for ((p = $1; p < 39200; p++)); do
        if ! listening "$p"; then
            echo "$p"
            return
        fi
    done
    return 1
}

# The server's PID, if the one this folder started still runs.
server_pid() {
    local pid
    pid=$(cat "$S3_DIR/minio.pid" 2>/dev/null) || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$S3_DIR/data" || return 1
    echo "$pid"
}

answers() { curl -fsS -m 2 -o /dev/null "$ENDPOINT/minio/health/live" 2>/dev/null; }

# s3 CURL_ARGS... PATH: a signed request to the server; prints the HTTP status. The credentials
# go to curl on stdin, never on a command line that `ps` shows.
s3() {
    printf 'user = "%s:%s"\n' "$ACCESS_KEY" "$SECRET_KEY" |
        curl -sS -m 10 -o /dev/null -w '%{http_code}' -K - --aws-sigv4 "aws:amz:$REGION:s3" \
            "${@:1:$#-1}" "$ENDPOINT/${*: -1}"
}

# curl signs requests with --aws-sigv4 since 7.75.
check_curl() {
    local v
    v=$(curl --version 2>/dev/null | awk 'NR == 1 { print $2 }') || true
    if [ -z "$v" ] || [ "$(printf '7.75.0\n%s\n' "$v" | sort -V | head -n1)" != 7.75.0 ]; then
        log "s3: needs curl 7.75 or newer (found: ${v:-none}; apt-get install curl)"
        return 1
    fi
}

start() {
    check_curl
    bash "$TOOLCHAIN_SRC/build.sh" minio
    settings
    if server_pid >/dev/null; then
        log "s3: already running on $ENDPOINT"
        return
    fi
    if listening "$PORT"; then
        log "s3: port $PORT (this server's, in $S3_DIR/settings) is taken by another program"
        return 1
    fi
    mkdir -p "$S3_DIR/data"
    # Loopback only; no console, no update checks (nothing here reaches the internet).
    MINIO_ROOT_USER="$ACCESS_KEY" MINIO_ROOT_PASSWORD="$SECRET_KEY" MINIO_BROWSER=off \
        MINIO_UPDATE=off setsid "$MINIO" server "$S3_DIR/data" --quiet \
        --address "127.0.0.1:$PORT" --console-address "127.0.0.1:$CONSOLE_PORT" \
        >>"$S3_DIR/minio.log" 2>&1 </dev/null &
    local pid=$! i
    echo "$pid" >"$S3_DIR/minio.pid"
    for ((i = 0; i < 300; i++)); do
        answers && break
        # By PID alone: until setsid has run MinIO, the command line is still this script's.
        if ! kill -0 "$pid" 2>/dev/null; then
            log "s3: MinIO exited at start (log: $S3_DIR/minio.log):"
            tail -n 20 "$S3_DIR/minio.log" >&2
            return 1
        fi
        sleep 0.1
    done
    # A start that fails stops the server it started: none is left without its caller knowing.
    if ! answers; then
        log "s3: MinIO did not answer within 30 s (log: $S3_DIR/minio.log)"
        stop
        return 1
    fi
    local status
    status=$(s3 --head "$BUCKET")
    if [ "$status" = 404 ]; then status=$(s3 -X PUT "$BUCKET"); fi
    [ "$status" = 200 ] || { log "s3: bucket $BUCKET: HTTP $status"; stop; return 1; }
    log "s3: MinIO on $ENDPOINT, bucket $BUCKET (folder $S3_DIR)"
}

stop() {
    local pid i
    pid=$(server_pid) || return 0
    kill "$pid"
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
    rm -f "$S3_DIR/minio.pid"
    log "s3: stopped (data kept in $S3_DIR)"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    delete)
        stop
        # Only what start wrote, in a folder that has this server's settings.
        if [ -f "$S3_DIR/settings" ]; then
            rm -rf "${S3_DIR:?}/data" "$S3_DIR/minio.log" "$S3_DIR/minio.pid" "$S3_DIR/settings"
            rmdir "$S3_DIR" 2>/dev/null || true
        fi
        ;;
    status)
        # Reads only: a server never started has no settings, and status makes none.
        [ -f "$S3_DIR/settings" ] && settings && server_pid >/dev/null && answers
        ;;
    env)
        [ -f "$S3_DIR/settings" ] || { log "s3: not set up: run s3.sh start first" && exit 1; }
        settings
        # Path-style requests to a plain-http endpoint (a bucket name is no host here); reads
        # without the checksum warning every response of MinIO would otherwise log.
        # A session token or profile of the caller's would be sent along and refused.
        echo "unset AWS_SESSION_TOKEN AWS_PROFILE"
        echo "export AWS_ACCESS_KEY_ID='$ACCESS_KEY'"
        echo "export AWS_SECRET_ACCESS_KEY='$SECRET_KEY'"
        echo "export AWS_REGION='$REGION'"
        echo "export S3_ENDPOINT='$ENDPOINT'"
        echo "export S3_BUCKET='$BUCKET'"
        echo "export PULUMI_BACKEND_URL='s3://$BUCKET?endpoint=$ENDPOINT&use_path_style=true&response_checksum_validation=when_required'"
        ;;
    *) echo "usage: $0 start | stop | delete | status | env" >&2 && exit 2 ;;
esac
