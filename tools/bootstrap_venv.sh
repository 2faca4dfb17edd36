#!/bin/sh
# Create (or refresh when its lock changed) .venv/<name> from requirements/<name>.lock.
# Downloads land in a cache outside git, so a fresh clone on the same machine reuses them: the
# install is tried from the cache alone first (no network), and pip downloads only when the
# cache lacks a locked wheel. Hashes are checked either way (--require-hashes).
#
# The lock says which Python it was resolved for (uv's header: --python-version X.Y); the venv
# gets that Python: $PYTHON when it is that version, else pythonX.Y on PATH, else pyenv's
# (under $PYENV_ROOT, `pyenv root` or ~/.pyenv), so Python 3.13 need not be on PATH.
set -eu
name=$1
lock=requirements/$name.lock
venv=.venv/$name
cache=${CACHE_DIR:-$HOME/.cache/litellm-screenwriter}
want=$(sha256sum "$lock" | cut -d' ' -f1)
if [ -f "$venv/.lock-sha256" ] && [ "$(cat "$venv/.lock-sha256")" = "$want" ]; then
    exit 0
fi

version=$(sed -n 's/^#.*--python-version \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' "$lock" | head -n 1)
if [ -z "$version" ]; then
    echo "bootstrap: $lock does not say its Python (uv pip compile --python-version X.Y)" >&2
    exit 1
fi

# Prints the first candidate that runs and is Python $version (not a free-threaded build: the
# wheels are cp3XX); a pyenv shim of a version installed but not selected fails to run, so it
# is skipped like a missing one.
find_python() {
    pyenv_roots="${PYENV_ROOT:-} $(pyenv root 2>/dev/null || true) $HOME/.pyenv"
    for candidate in "${PYTHON:-}" "python$version" \
        $(for root in $pyenv_roots; do ls -d "$root"/versions/"$version"*/bin/python"$version" \
            2>/dev/null | sort -rV; done); do
        [ -n "$candidate" ] || continue
        found=$("$candidate" -c \
            'import sys; print("%d.%d%s" % (*sys.version_info[:2], getattr(sys, "abiflags", "")))' \
            2>/dev/null) || continue
        if [ "$found" = "$version" ]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}
if ! python=$(find_python); then
    echo "bootstrap: $venv needs Python $version, found neither python$version on PATH nor" \
        "a pyenv one: install it (pyenv install $version, or from python.org) and run make again." >&2
    exit 1
fi

echo "bootstrap: $venv from $lock (Python $version: $python; cache: $cache)"
rm -rf "$venv"
"$python" -m venv "$venv"
# pip's complaints go to $log: shown when the bootstrap fails, translated when the disk is full
# (pip's own report of that is a page of traceback ending in "Connection broken").
log=$(mktemp)
trap 'rm -f "$log"' EXIT
free_mb() {  # megabytes free where $1 is or would be made
    at=$1
    while [ ! -e "$at" ]; do at=$(dirname "$at"); done
    df -Pm "$at" | awk 'NR == 2 { print $4 }'
}
fail() {
    if grep -q "No space left on device" "$log"; then
        echo "bootstrap: the disk filled up while installing $venv" \
            "(now $(free_mb .venv) MB free for .venv, $(free_mb "$cache") MB for the cache" \
            "$cache): a Blender venv takes about 1 GB and its wheel about 0.4 GB;" \
            "free some space and run make again." >&2
    else
        cat "$log" >&2
    fi
    rm -rf "$venv"  # half installed: the next make starts it again
    exit 1
}
# --no-compile: a bpy wheel holds thousands of .py files; Python compiles those it imports on
# first use, which saves about a third of a Blender venv's install time.
install() {
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
        --find-links "$cache/wheelhouse" --only-binary=:all: --require-hashes --no-deps \
        --no-compile -r "$lock" "$@"
}
if ! install 2>"$log"; then
    # A locked wheel missing from the cache is the expected failure; a full disk is not.
    if grep -q "No space left on device" "$log"; then fail; fi
    "$venv/bin/python" -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
        --require-hashes --no-deps -r "$lock" -d "$cache/wheelhouse" 2>"$log" || fail
    install 2>"$log" || fail
fi
echo "$want" > "$venv/.lock-sha256"
