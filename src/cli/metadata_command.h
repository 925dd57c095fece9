// `metaboot metadata`: fetch and print the instance metadata. A debugging
// command: it assumes the network is already up.
#pragma once

namespace mb::cli {

// argv[0] is the subcommand name ("metadata"); options follow:
//   --metadata-url URL   http://IPv4[:port][/prefix] (default http://169.254.169.254)
//   --provider P         ec2 | openstack (default: detected from DMI)
//   --sysfs DIR          where DMI is read from (default /sys)
//   --crawl full         EC2: fetch the whole meta-data/ tree
//   --timeout S          whole-run deadline in seconds, e.g. 10 or 2.5 (default 10)
//   --json               print JSON, with per-request timings and warnings
// Exit status: 0 metadata printed, 3 no metadata (unknown platform, no
// service, refused, timed out, malformed), 1 usage error.
int metadata_command(int argc, char** argv);

}
