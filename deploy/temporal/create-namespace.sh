#!/bin/sh
# Create the namespace the gateway's Temporal component and the example worker use, once the
# server answers. Safe to run again: an existing namespace is left as it is.
set -eu
address=temporal:7233
namespace=${NAMESPACE:-default}
attempt=0
until temporal operator cluster health --address "$address" >/dev/null 2>&1; do
    attempt=$((attempt + 1))
    if [ "$attempt" -ge 60 ]; then
        echo "temporal-namespace: the Temporal server at $address did not become healthy" >&2
        exit 1
    fi
    sleep 2
done
temporal operator namespace describe --namespace "$namespace" --address "$address" >/dev/null 2>&1 \
    || temporal operator namespace create --namespace "$namespace" --address "$address"
echo "temporal-namespace: namespace $namespace is ready"
