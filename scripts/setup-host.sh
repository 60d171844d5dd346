#!/usr/bin/env bash
# Install everything the lessons, the capstone and the tests use, on Debian or Ubuntu.
# Idempotent: run it as often as you like; it installs only what is missing.
#
#   scripts/setup-host.sh          (asks for sudo when not root)
#
# Each package and what the kit uses it for:
#   busybox-static    one static binary that is a whole userland: the root filesystem of the
#                     lessons' containers and of the test images (no Docker Hub needed)
#   docker-registry   the reference registry (distribution v2): pull/push tests run against it
#   skopeo, umoci     read and write OCI images and talk to registries independently of our
#                     code: the interop tests check our files and our protocol with them
#   runc, crun        OCI runtimes: start-up speed is compared with them
#   podman, buildah   Docker-compatible engine and builder: compared with the capstone
#   iproute2          `ip`: shows what the network lesson sets up (and makes test netns)
#   nftables, iptables  NAT and port publishing in the network lesson
#   qemu-system-x86   boots a virtual machine: the containers-vs-VMs benchmark, and a
#                     cgroup-v2-only kernel to test lesson 02 on
#   linux-image-amd64 the Debian kernel that VM boots (with 9p and overlay modules)
#   cpio              packs the VM's initramfs
#   apache2-utils     `htpasswd`: the registry's Basic-auth test mode
#   openssl           certificates for the registry's token-auth test mode
#   sudo, procps, psmisc, util-linux, e2fsprogs  everyday tools the steps and tests call
#   hyperfine, jq     scripts/bench/compare.sh: time whole commands, read their results
#   libseccomp-dev, pkg-config  lesson 07 compiles seccomp profiles with libseccomp (the C
#                     library runc and crun use), through the `libseccomp` crate
#   docker.io         dockerd 20.10 and its client: the reference `capstone build` is compared
#                     with (tests start their own dockerd, never the system service);
#                     xz-utils, bzip2 make the archives those tests `ADD`
#   docker-compose, python3-docker  Docker Compose 1.29 and the Python SDK: `compose config`
#                     is compared with docker-compose's; both are the Engine API's real clients
# (mdbook, which builds the book, is a Rust program: scripts/test-all.sh installs it with cargo.)
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo "$0" "$@"
    fi
    echo "setup-host.sh installs system packages: run it as root" >&2
    exit 1
fi

packages=(
    busybox-static docker-registry skopeo umoci runc crun podman buildah
    iproute2 nftables iptables qemu-system-x86 cpio
    apache2-utils openssl sudo procps psmisc util-linux e2fsprogs ca-certificates
    hyperfine jq libseccomp-dev pkg-config
    docker.io docker-compose python3-docker xz-utils bzip2
    chromium  # headless: workshop/tests/classroom.rs loads the classroom dashboard
    etcd-server  # lesson 09: the key-value store tasks register in (service discovery)
    etcd-client  # lesson 09: etcdctl, packed into the lesson's etcd image
)

# Debian's kernel package is linux-image-amd64; Ubuntu's VM harness uses the host's own kernel
# from /boot (Ubuntu ships no package of that name).
if grep -q '^ID=debian' /etc/os-release 2>/dev/null; then
    packages+=(linux-image-amd64)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup-host: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "setup-host: all Debian packages present"
fi

# The Debian registry package starts a system service on install; the tests start their own
# registries on free loopback ports, so the system one is not needed.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
    systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

# The same for Docker: tests start their own dockerd, each in its own namespaces and dirs.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker 2>/dev/null; then
    systemctl disable --now docker.service docker.socket >/dev/null 2>&1 || true
fi

# And for etcd: lesson 09 starts its own, inside the cluster's network namespaces.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
    systemctl disable --now etcd.service >/dev/null 2>&1 || true
fi

echo "setup-host: ready"
