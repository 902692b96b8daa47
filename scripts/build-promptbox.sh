#!/usr/bin/env bash
# Builds the real Prompt Box (backend-rs, the system under test) and links it as .tools/bin/promptbox.
# Source, first found: $PROMPTBOX_SOURCE, ../shared/promptbox beside the project, or a clone of
# $PROMPTBOX_GIT_URL at the pinned commit. The binary is cached outside the clone, keyed by the
# source's commit, so a new clone or a CI run reuses it: ${PROMPTBOX_CACHE:-~/.cache/promptbox-backup}.
# $PROMPTBOX_BIN, when set, names a binary built elsewhere and skips all of this.
# Quiet when the cached binary is there; says what is missing when it cannot build.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PINNED_COMMIT=089e13bdd8d196fb985b89edb6dcc35c5fe3ddbe   # urusy/PromptBox, as in ../shared/promptbox/SOURCE.md
CACHE=${PROMPTBOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/promptbox-backup}
LINK="$ROOT/.tools/bin/promptbox"

log() { printf 'build-promptbox: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

mkdir -p "$ROOT/.tools/bin"
if [ -n "${PROMPTBOX_BIN:-}" ]; then
  [ -x "$PROMPTBOX_BIN" ] || die "PROMPTBOX_BIN=$PROMPTBOX_BIN is not an executable file"
  ln -sfn "$PROMPTBOX_BIN" "$LINK"
  exit 0
fi

source_dir() {
  if [ -n "${PROMPTBOX_SOURCE:-}" ]; then echo "$PROMPTBOX_SOURCE"; return; fi
  if [ -f "$ROOT/../shared/promptbox/backend-rs/Cargo.toml" ]; then echo "$ROOT/../shared/promptbox"; return; fi
  if [ -n "${PROMPTBOX_GIT_URL:-}" ]; then
    local clone="$CACHE/source-$PINNED_COMMIT"
    if [ ! -f "$clone/backend-rs/Cargo.toml" ]; then
      log "cloning $PROMPTBOX_GIT_URL at $PINNED_COMMIT"
      rm -rf "$clone.partial"
      git clone --quiet "$PROMPTBOX_GIT_URL" "$clone.partial" >&2
      git -C "$clone.partial" checkout --quiet "$PINNED_COMMIT"
      mv "$clone.partial" "$clone"
    fi
    echo "$clone"
    return
  fi
  die "no Prompt Box source: set PROMPTBOX_SOURCE to a checkout of urusy/PromptBox (commit $PINNED_COMMIT), place it at ../shared/promptbox, set PROMPTBOX_GIT_URL to clone it, or set PROMPTBOX_BIN to a built backend-rs binary"
}

# The cache key: the checkout's commit, else the commit its SOURCE.md names, else the tree's content.
source_key() {
  local dir=$1 commit
  if commit=$(git -C "$dir" rev-parse --verify -q HEAD 2>/dev/null) && [ "$(git -C "$dir" rev-parse --show-toplevel 2>/dev/null)" = "$(cd "$dir" && pwd -P)" ]; then
    echo "$commit"
  elif [ -f "$dir/SOURCE.md" ] && commit=$(grep -oE '\b[0-9a-f]{40}\b' "$dir/SOURCE.md" | head -n 1) && [ -n "$commit" ]; then
    echo "$commit"
  else
    echo "tree-$(cd "$dir/backend-rs" && find . -type f -not -path './target/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  fi
}

SRC=$(source_dir)
[ -f "$SRC/backend-rs/Cargo.toml" ] || die "$SRC/backend-rs/Cargo.toml not found: PROMPTBOX_SOURCE must be a Prompt Box checkout"
KEY=$(source_key "$SRC")
BIN="$CACHE/promptbox-$KEY/promptbox"
if [ -x "$BIN" ]; then
  ln -sfn "$BIN" "$LINK"
  exit 0
fi

CARGO=$(command -v cargo || true)
[ -n "$CARGO" ] || { [ -x "$HOME/.cargo/bin/cargo" ] && CARGO="$HOME/.cargo/bin/cargo"; } || true
[ -n "$CARGO" ] || die "cargo (the Rust toolchain) is not installed: it builds the real Prompt Box the tests run. Install Rust (rustup or Debian's cargo), or set PROMPTBOX_BIN to a built backend-rs binary"

log "building Prompt Box backend-rs ($KEY) from $SRC: about 8 minutes the first time on 2 cores"
mkdir -p "$CACHE"
# The target directory lives in the cache: the source may be read-only (as CI has ../shared).
CARGO_TARGET_DIR="$CACHE/cargo-target" CARGO_PROFILE_DEV_DEBUG=0 \
  "$CARGO" build --locked -j "$(nproc)" --manifest-path "$SRC/backend-rs/Cargo.toml" >&2 \
  || die "cargo build of $SRC/backend-rs failed (see above); crates come from the Rust crate registry"
mkdir -p "$(dirname "$BIN")"
cp "$CACHE/cargo-target/debug/promptbox" "$BIN.partial"
mv "$BIN.partial" "$BIN"
ln -sfn "$BIN" "$LINK"
log "Prompt Box: $BIN"
