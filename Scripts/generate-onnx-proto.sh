#!/usr/bin/env bash
# Regenerates Sources/FunnelONNX/onnx_subset{,_attribute,_types}.pb.swift from
# Sources/FunnelONNX/Proto/onnx_subset{,_attribute,_types}.proto (three files: each generated
# Swift file stays under the 800-line limit of .ci/run).
#
# Versions the committed file was generated with:
#   protoc            libprotoc 3.21.12 (Debian/Ubuntu `apt-get install -y protobuf-compiler`)
#   protoc-gen-swift  1.39.0, built from apple/swift-protobuf at tag 1.39.0:
#     git clone https://github.com/apple/swift-protobuf /tmp/swift-protobuf
#     (cd /tmp/swift-protobuf && git checkout 1.39.0 && swift build -c release --product protoc-gen-swift)
#
# Usage: Scripts/generate-onnx-proto.sh [path to protoc-gen-swift]
# (default: $PROTOC_GEN_SWIFT, else /tmp/swift-protobuf/.build/release/protoc-gen-swift)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
plugin="${1:-${PROTOC_GEN_SWIFT:-/tmp/swift-protobuf/.build/release/protoc-gen-swift}}"
if [[ ! -x "$plugin" ]]; then
    echo "generate-onnx-proto.sh: no protoc-gen-swift at '$plugin' (build it as described at the top of this script)" >&2
    exit 1
fi
command -v protoc >/dev/null || { echo "generate-onnx-proto.sh: protoc not found (apt-get install -y protobuf-compiler)" >&2; exit 1; }

protoc \
    --plugin=protoc-gen-swift="$plugin" \
    --proto_path="$root/Sources/FunnelONNX/Proto" \
    --swift_opt=Visibility=Public \
    --swift_out="$root/Sources/FunnelONNX" \
    onnx_subset.proto onnx_subset_attribute.proto onnx_subset_types.proto
echo "wrote $root/Sources/FunnelONNX/onnx_subset{,_attribute,_types}.pb.swift ($(protoc --version), protoc-gen-swift $("$plugin" --version 2>/dev/null || echo '?'))"
