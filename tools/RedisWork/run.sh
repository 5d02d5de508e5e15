#!/bin/bash
# Redis instructions per lifecycle: bash tools/RedisWork/run.sh awaited|together [lifecycles=1000]
# Needs valgrind (apt-get install -y valgrind) and redis-server.
set -euo pipefail
mode=$1; n=${2:-1000}
here=$(cd "$(dirname "$0")" && pwd)
dotnet build "$here" -c Release -v q -nologo >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
out=$(mktemp -d)
valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" redis-server --port "$port" --save '' --appendonly no >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$out"' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.5; done
dotnet "$here/bin/Release/net10.0/RedisWork.dll" "$port" "$mode" "$n"
dump=$(ls "$out"/cg.*.1)
total=$(grep -h '^summary:' "$dump" | awk '{print $2}')
echo "$mode: $(( total / n )) Redis instructions per lifecycle ($n lifecycles)"
