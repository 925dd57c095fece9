#!/usr/bin/python3
"""metaboot's instance-data read by cloud-init's own code (unpacked by
scripts/fetch-cloud-init.sh), with Debian's /usr/bin/python3:

    cloud_init_instance_data.py DIST_PACKAGES INSTANCE_DATA SENSITIVE FACTS_JSON

- `cloud-init query` (cloudinit.cmd.query.handle_args) for each v1 key, on the
  public file and on the sensitive one;
- a Jinja template through cloudinit.handlers.jinja_template, as cloud-init
  renders `## template: jinja` user-data and config;
- cloud-init's own v1 keys (DataSource._get_standardized_metadata) for the
  same facts (FACTS_JSON: instance_id, local_hostname, availability_zone,
  region, cloud_name, platform, subplatform, public_ssh_keys), with the
  system facts cloud-init reads from this machine (util.system_info()).
Prints one JSON document.
"""
import argparse
import contextlib
import io
import json
import sys

sys.path.insert(0, sys.argv[1])
instance_data, sensitive, facts_path = sys.argv[2], sys.argv[3], sys.argv[4]

from cloudinit import sources, util  # noqa: E402
from cloudinit.cmd import query  # noqa: E402
from cloudinit.handlers.jinja_template import render_jinja_payload  # noqa: E402

with open(facts_path) as f:
    facts = json.load(f)


def ask(path, varname):
    args = argparse.Namespace(debug=False, dump_all=False, format=None, instance_data=path, list_keys=False,
                              user_data="/nonexistent", vendor_data="/nonexistent", varname=varname)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = query.handle_args("query", args)
    return rc, out.getvalue().strip()


result = {"query": {}, "query_sensitive": {}}
for key in facts["ask"]:
    result["query"][key] = ask(instance_data, key)
    result["query_sensitive"][key] = ask(sensitive, key)

with open(instance_data) as f:
    loaded = json.load(f)
template = "## template: jinja\n#cloud-config\nhostname: {{ v1.local_hostname }}\nfqdn: {{ v1.instance_id }}.{{ v1.region }}.{{ v1.cloud_name }}\n"
result["jinja"] = render_jinja_payload(template, "test", loaded)


class Stub:
    availability_zone = facts["availability_zone"]
    region = facts["region"]
    cloud_name = facts["cloud_name"]
    platform_type = facts["platform"]
    subplatform = facts["subplatform"]

    def get_hostname(self):
        return sources.DataSourceHostname(facts["local_hostname"], False)

    def get_instance_id(self):
        return facts["instance_id"]

    def get_public_ssh_keys(self):
        return facts["public_ssh_keys"]


result["reference"] = sources.DataSource._get_standardized_metadata(Stub(), {"sys_info": util.system_info()})
print(json.dumps(result))
