#!/usr/bin/env bash
# podman with the settings these machines need (found by trying, see README "Container"):
# runc instead of crun (crun refuses the kernel's hybrid cgroups), cgroupfs instead of systemd,
# and explicit ulimits on build/run/create (podman's defaults exceed the hard limits here).
# Override with PODMAN_GLOBAL_FLAGS / PODMAN_ULIMITS (empty string = none) on other machines.
set -euo pipefail
read -r -a global <<<"${PODMAN_GLOBAL_FLAGS---runtime runc --cgroup-manager=cgroupfs}"
read -r -a ulimits <<<"${PODMAN_ULIMITS---ulimit nofile=4096:4096 --ulimit nproc=4096:4096}"
sub=${1:-}
case "$sub" in
  build | run | create) shift; exec podman "${global[@]}" "$sub" "${ulimits[@]}" "$@" ;;
  *) exec podman "${global[@]}" "$@" ;;
esac
