#!/usr/bin/env bash
# The benchmark's yardstick: what a careful cron script does for one full backup, with the same
# tools, flags and order as the fullBackup workflow, and nothing else: dump, mirror the storage root
# (originals and thumbnails; temporary files excluded, as the default config does) with a per-day
# increment and hash the originals that were copied (a thumbnail's name is not its own hash), copy
# the config files, encrypt, verify (hashes, decryption, pg_restore --list), move into place. The
# same durable work as the workflow: the mirror and increment flushed once rsync is done (one
# syncfs, as the image step does), the artifacts flushed before the script ends; and the same
# GnuPG home from run to run (one gpg-agent), as a worker keeps.
#   baseline-backup.sh REPO STORAGE_ROOT PASSPHRASE_FILE GNUPG_HOME CONFIG_FILE...
# The database comes from the libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD).
set -euo pipefail
repo=$1 storage=$2 passphrase=$3 gnupg=$4
shift 4
id=$(date -u +%Y%m%d_%H%M%S)
staging="$repo/.staging/$id"
mkdir -p "$staging/rsync-tmp" "$repo/db" "$repo/config/$id" "$repo/images/current" "$repo/images/incremental/$id"
gpg_args=(--homedir "$gnupg" --batch --yes --no-tty --quiet --pinentry-mode loopback --no-symkey-cache --passphrase-file "$passphrase")
mkdir -p -m 0700 "$gnupg"

pg_dump -Fc > "$staging/db.dump"

rsync --archive --delete --backup --backup-dir="$repo/images/incremental/$id" --temp-dir="$staging/rsync-tmp" \
  --chmod=D0700,F0600 --sparse --exclude='*.tmp' --stats --out-format='%i %n' "$storage/" "$repo/images/current/" |
  sed -n '/^>f[^ ]* thumbnails\//d; s/^>f[^ ]* //p' | (cd "$repo/images/current" && xargs -r -d '\n' sha256sum) > "$staging/copied.sha256"
sync -f "$repo/images/current" "$repo/images/incremental/$id"

staged=("$staging/db.dump")
for f in "$@"; do cp "$f" "$staging/"; staged+=("$staging/$(basename "$f")"); done

for f in "${staged[@]}"; do
  gpg "${gpg_args[@]}" --symmetric --cipher-algo AES256 --compress-algo none --output "$f.gpg" "$f"
  rm "$f"
done

sha256sum "$staging"/*.gpg > /dev/null
# As the workflow does: hash the whole plaintext while pg_restore reads its table of contents
# (and may stop reading early; tee -p keeps feeding sha256sum).
gpg "${gpg_args[@]}" --decrypt "$staging/db.dump.gpg" | tee -p >(pg_restore --list > /dev/null) | sha256sum > /dev/null
for f in "$@"; do gpg "${gpg_args[@]}" --decrypt "$staging/$(basename "$f").gpg" | sha256sum > /dev/null; done

mv "$staging/db.dump.gpg" "$repo/db/promptbox_$id.dump.gpg"
for f in "$@"; do mv "$staging/$(basename "$f").gpg" "$repo/config/$id/"; done
sync -f "$repo"
rm -rf "$staging"
