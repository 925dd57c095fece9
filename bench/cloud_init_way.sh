#!/bin/bash
# The cloud-init way, as its EC2 "local" datasource did it, for the benchmark:
# dhclient in a sandbox (private lease and pid files, /bin/true as its script),
# the lease read back and applied with `ip`, an IMDSv2 token, one curl per key
# it fetches, then an `ip` teardown. Runs inside the client namespace.
#
#   cloud_init_way.sh IFACE WORKDIR KEYS_FILE
set -u
iface=$1 work=$2 keys=$3
url=http://169.254.169.254
lease=$work/dhclient.lease pid=$work/dhclient.pid
rm -f "$lease" "$pid"

ip link set dev "$iface" up
dhclient -1 -lf "$lease" -pf "$pid" -sf /bin/true "$iface" 2>/dev/null || exit 2
# dhclient forks to the background once bound; cloud-init kills it by pid.
[ -s "$pid" ] && kill "$(cat "$pid")" 2>/dev/null

addr=$(sed -n 's/^ *fixed-address \(.*\);/\1/p' "$lease" | tail -1)
mask=$(sed -n 's/^ *option subnet-mask \(.*\);/\1/p' "$lease" | tail -1)
router=$(sed -n 's/^ *option routers \([0-9.]*\).*;/\1/p' "$lease" | tail -1)
prefix=0
IFS=. read -r a b c d <<<"$mask"
for octet in $a $b $c $d; do
    while [ "$octet" -gt 0 ]; do prefix=$((prefix + (octet & 1))); octet=$((octet >> 1)); done
done
ip addr add "$addr/$prefix" broadcast + dev "$iface"
[ -n "$router" ] && ip route add default via "$router" dev "$iface"

token=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600' "$url/latest/api/token")
n=0
while read -r key; do
    [ -n "$key" ] || continue
    curl -s -o /dev/null -H "X-aws-ec2-metadata-token: $token" "$url/$key"
    n=$((n + 1))
done <"$keys"

[ -n "$router" ] && ip route del default via "$router" dev "$iface"
ip addr del "$addr/$prefix" dev "$iface"
ip link set dev "$iface" down
echo "requests $((n + 1))"
