#!/bin/bash
# Brings cloud-init's own code (Debian trixie's 25.1.4, the version the render
# references were made with) into a cache folder, unpacked and never
# installed: installed, it would configure this machine at its next boot.
# The tests that use cloud-init as the reference import it from there with
# Debian's /usr/bin/python3 (its dependencies: scripts/test-packages.txt).
#
#   scripts/fetch-cloud-init.sh            prints the dist-packages folder
#
# A private apt state reads trixie's package list, so the machine's own
# sources and lists stay as they are. The .deb's sha256 is pinned.
set -euo pipefail
version=25.1.4-1+deb13u1
sha256=1b120a44110e7234c9cf9ccde78fb5d5ea1292c94ef0ca70d09a580f72980df3
cache=${XDG_CACHE_HOME:-$HOME/.cache}/metaboot/cloud-init-$version
packages=$cache/root/usr/lib/python3/dist-packages
if [ -e "$cache/stamp" ]; then
    echo "$packages"
    exit 0
fi
apt_dir=$(mktemp -d)
trap 'rm -rf "$apt_dir"' EXIT
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main' > "$apt_dir/sources.list"
apt_options=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
    -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" -o APT::Get::List-Cleanup=0
    -o APT::Sandbox::User=root)
apt-get "${apt_options[@]}" update -qq >&2
# The archive keeps only trixie's newest cloud-init: once a point release
# replaces the pinned one, take that, and say so (the tests that use it check
# cloud-init's behaviour, which a point release keeps).
if (cd "$apt_dir" && apt-get "${apt_options[@]}" download "cloud-init=$version" >&2); then
    deb=$(ls "$apt_dir"/cloud-init_*.deb)
    echo "$sha256  $deb" | sha256sum -c --quiet - >&2
else
    (cd "$apt_dir" && apt-get "${apt_options[@]}" download cloud-init >&2)
    deb=$(ls "$apt_dir"/cloud-init_*.deb)
    echo "fetch-cloud-init: $version is gone from trixie; using $(basename "$deb")" >&2
fi
rm -rf "$cache"
mkdir -p "$cache"
dpkg -x "$deb" "$cache/root"
touch "$cache/stamp"
echo "$packages"
