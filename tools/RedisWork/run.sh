#!/bin/bash
# Redis work per lifecycle: bash tools/RedisWork/run.sh awaited|together|call|sweep|memory [lifecycles]
# awaited|together: Redis instructions per lifecycle under callgrind (needs valgrind: apt-get install -y valgrind);
# call: Redis instructions per call that does no work (a GET of a run that does not exist);
# sweep: Redis instructions per run to finalize, then to remove, n runs due at once (default 20,000), callgrind too;
# memory: Redis bytes per run, in all and by kind of key (default 20,000 runs). Needs redis-server.
set -euo pipefail
mode=$1
here=$(cd "$(dirname "$0")" && pwd)
dotnet build "$here" -c Release -v q -nologo >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
out=$(mktemp -d)
if [ "$mode" = memory ]; then
  n=${2:-20000}
  redis-server --port "$port" --save '' --appendonly no >/dev/null 2>&1 &
elif [ "$mode" = sweep ]; then
  n=${2:-20000}
  valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" redis-server --port "$port" --save '' --appendonly no >/dev/null 2>&1 &
else
  n=${2:-1000}
  valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" redis-server --port "$port" --save '' --appendonly no >/dev/null 2>&1 &
fi
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$out"' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.5; done
dotnet "$here/bin/Release/net10.0/RedisWork.dll" "$port" "$mode" "$n"
[ "$mode" = memory ] && exit 0
instructions() { grep -h '^summary:' "$(ls "$out"/cg.*."$1")" | awk '{print $2}'; }
if [ "$mode" = sweep ]; then
  echo "sweep: finalize $(( $(instructions 1) / n )), remove $(( $(instructions 2) / n )) Redis instructions per run ($n runs)"
  exit 0
fi
if [ "$mode" = call ]; then
  echo "call: $(( $(instructions 1) / n )) Redis instructions per call ($n calls)"
  exit 0
fi
echo "$mode: $(( $(instructions 1) / n )) Redis instructions per lifecycle ($n lifecycles)"
