#!/bin/sh
# Create (or refresh when its lock changed) .venv/<name> from requirements/<name>.lock.
# Downloads land in a cache outside git, so a fresh clone on the same machine reuses them: the
# install is tried from the cache alone first (no network), and pip downloads only when the
# cache lacks a locked wheel. Hashes are checked either way (--require-hashes).
set -eu
name=$1
lock=requirements/$name.lock
venv=.venv/$name
cache=${CACHE_DIR:-$HOME/.cache/litellm-screenwriter}
python=${PYTHON:-python3.11}
want=$(sha256sum "$lock" | cut -d' ' -f1)
if [ -f "$venv/.lock-sha256" ] && [ "$(cat "$venv/.lock-sha256")" = "$want" ]; then
    exit 0
fi
echo "bootstrap: $venv from $lock (cache: $cache)"
rm -rf "$venv"
"$python" -m venv "$venv"
install() {
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
        --find-links "$cache/wheelhouse" --only-binary=:all: --require-hashes --no-deps \
        -r "$lock" "$@"
}
if ! install 2>/dev/null; then
    "$venv/bin/python" -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
        --require-hashes --no-deps -r "$lock" -d "$cache/wheelhouse"
    install
fi
echo "$want" > "$venv/.lock-sha256"
