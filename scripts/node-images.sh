#!/usr/bin/env bash
# The real node's images, built from Debian packages (no registry is reachable on the machines
# this runs on), as OCI archives that `ctr images import` takes:
#   nginx-unprivileged  like nginxinc/nginx-unprivileged: uid 101, port 8080, writes only /tmp
#   nginx               like stock nginx: starts as root on port 80, workers run as nginx (101)
#   pause               the pod sandbox's first process (scripts/toolchain/pause)
# Each is Debian's nginx binary, the shared libraries it links, busybox (sh, id, cat, ... for
# `kubectl exec`), an /etc/passwd and an nginx.conf. Archives are cached, keyed by this script and
# the pause binary; the packages are those apt offered when they were built (their .debs are kept
# beside the archives). Usage: node-images.sh DIR -> prints "NAME ARCHIVE" per image.
set -euo pipefail
# shellcheck source=toolchain/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/toolchain/lib.sh"

PACKAGES=(nginx nginx-common busybox-static)
IMAGE_PREFIX=localhost/sa-workload

image_names() {
    echo "unprivileged $IMAGE_PREFIX/nginx-unprivileged:$TEST_IMAGE_TAG"
    echo "stock $IMAGE_PREFIX/nginx:$TEST_IMAGE_TAG"
    echo "pause $IMAGE_PREFIX/pause:$PAUSE_VERSION"
}

# fetch_packages DIR: downloads the .debs (no install) at the versions apt offers today.
fetch_packages() {
    mkdir -p "$1"
    (cd "$1" && apt-get download "${PACKAGES[@]}" >/dev/null 2>"$1/apt.log") || {
        apt-get update >/dev/null 2>&1 && (cd "$1" && apt-get download "${PACKAGES[@]}" >/dev/null)
    }
}

# nginx_rootfs DIR DEBS: nginx, its libraries and busybox, but no config yet.
nginx_rootfs() {
    local root=$1 debs=$2 deb lib
    for deb in "$debs"/nginx_*.deb "$debs"/nginx-common_*.deb "$debs"/busybox-static_*.deb; do
        dpkg-deb -x "$deb" "$root"
    done
    rm -rf "$root/etc/nginx/sites-available" "$root/etc/nginx/sites-enabled" "$root/etc/init.d" \
        "$root/etc/logrotate.d" "$root/etc/ufw" "$root/lib/systemd" "$root/usr/share/doc" \
        "$root/usr/share/man"
    # The loader and every library nginx links, from this host (the same Debian release).
    for lib in $(ldd "$root/usr/sbin/nginx" | grep -o '/[^ ]*'); do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
    mkdir -p "$root/bin" "$root/tmp" "$root/run" "$root/var/log/nginx" "$root/var/cache/nginx" \
        "$root/usr/share/nginx/html"
    chmod 1777 "$root/tmp"
    for applet in sh id cat ls ps wget touch stat mount grep head env sleep; do
        ln -sf busybox "$root/bin/$applet"
    done
    # nginx opens its compiled-in error log before it reads the config.
    ln -sf /dev/stderr "$root/var/log/nginx/error.log"
    ln -sf /dev/stdout "$root/var/log/nginx/access.log"
    printf 'root:x:0:0:root:/root:/bin/sh\nnginx:x:101:101:nginx:/nonexistent:/bin/false\n' \
        >"$root/etc/passwd"
    printf 'root:x:0:\nnginx:x:101:\n' >"$root/etc/group"
    echo '<!DOCTYPE html><title>Welcome to nginx!</title><h1>Welcome to nginx!</h1>' \
        >"$root/usr/share/nginx/html/index.html"
}

# nginx_conf PORT PIDDIR TEMPDIR [USER]: an nginx.conf that serves the welcome page on PORT and
# writes only its pid and temporary files; with USER, the master (root) drops workers to it.
nginx_conf() {
    local port=$1 piddir=$2 dir=$3 user=${4:-}
    [ -n "$user" ] && echo "user $user;"
    cat <<EOF
worker_processes 1;
daemon off;
pid $piddir/nginx.pid;
error_log stderr notice;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    access_log /dev/stdout;
    client_body_temp_path $dir/client_temp;
    proxy_temp_path $dir/proxy_temp;
    fastcgi_temp_path $dir/fastcgi_temp;
    uwsgi_temp_path $dir/uwsgi_temp;
    scgi_temp_path $dir/scgi_temp;
    server {
        listen $port;
        location / { root /usr/share/nginx/html; index index.html; }
    }
}
EOF
}

# blob WORK FILE: moves FILE into WORK's blob store, named by its digest; prints "DIGEST SIZE".
blob() {
    local digest size
    digest=$(sha256sum "$2" | cut -d' ' -f1)
    size=$(stat -c %s "$2")
    mv "$2" "$1/blobs/sha256/$digest"
    echo "$digest $size"
}

# oci_archive ROOTFS NAME CONFIG_JSON OUT: one layer, one manifest, named for `ctr images import`.
oci_archive() {
    local root=$1 name=$2 config=$3 out=$4 work layer size cfg cfg_size man man_size
    work=$(mktemp -d)
    mkdir -p "$work/blobs/sha256"
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$work/layer.tar" .
    read -r layer size < <(blob "$work" "$work/layer.tar")
    printf '%s' "${config/@DIFF_ID@/sha256:$layer}" >"$work/config.json"
    read -r cfg cfg_size < <(blob "$work" "$work/config.json")
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
        "$cfg" "$cfg_size" "$layer" "$size" >"$work/manifest.json"
    read -r man man_size < <(blob "$work" "$work/manifest.json")
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
        "$man" "$man_size" "$name" "${name##*:}" >"$work/index.json"
    echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
    tar --sort=name --mtime=@0 --owner=0 --group=0 -C "$work" -cf "$out" oci-layout index.json blobs
    rm -rf "$work"
}

# image_config USER CMD_JSON [PORT]
image_config() {
    local ports=""
    [ -n "${3:-}" ] && ports="\"ExposedPorts\":{\"$3/tcp\":{}},"
    printf '{"architecture":"amd64","os":"linux","config":{"User":"%s",%s"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":%s,"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["@DIFF_ID@"]}}' \
        "$1" "$ports" "$2"
}

build() {
    local out=$1 debs="$1/debs" work
    fetch_packages "$debs"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' RETURN

    # One nginx root filesystem; the two images differ only in their nginx.conf and user.
    nginx_rootfs "$work/unprivileged" "$debs"
    cp -a "$work/unprivileged" "$work/stock"
    nginx_conf 8080 /tmp /tmp >"$work/unprivileged/etc/nginx/nginx.conf"
    oci_archive "$work/unprivileged" "$IMAGE_PREFIX/nginx-unprivileged:$TEST_IMAGE_TAG" \
        "$(image_config 101 '["/usr/sbin/nginx","-e","stderr"]' 8080)" "$out/unprivileged.tar"

    nginx_conf 80 /run /var/cache/nginx nginx >"$work/stock/etc/nginx/nginx.conf"
    oci_archive "$work/stock" "$IMAGE_PREFIX/nginx:$TEST_IMAGE_TAG" \
        "$(image_config 0 '["/usr/sbin/nginx","-e","stderr"]' 80)" "$out/stock.tar"

    mkdir -p "$work/pause"
    cp "$PAUSE_BIN_DIR/pause" "$work/pause/pause"
    oci_archive "$work/pause" "$IMAGE_PREFIX/pause:$PAUSE_VERSION" \
        "$(image_config 65535 '["/pause"]')" "$out/pause.tar"
}

dir=${1:?usage: node-images.sh DIR}
key=$(cat "${BASH_SOURCE[0]}" "$PAUSE_BIN_DIR/pause" | sha256sum | cut -c1-10)
out="$dir/images-$TEST_IMAGE_TAG-$key"
if [ ! -f "$out/.complete" ]; then
    t0=$SECONDS
    rm -rf "$out" && mkdir -p "$out"
    build "$out"
    touch "$out/.complete"
    log "node images: built from Debian packages in $((SECONDS - t0)) s ($out)"
fi
while read -r file name; do echo "$name $out/$file.tar"; done < <(image_names)
