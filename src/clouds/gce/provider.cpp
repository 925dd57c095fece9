#include "clouds/gce/gce.h"

#include "clouds/values.h"
#include "common/json.h"
#include "common/text.h"

#include <algorithm>
#include <ctime>

namespace mb::clouds {

namespace {

// The address, never metadata.google.internal: the initramfs has no DNS.
constexpr std::string_view metadata_root = "/computeMetadata/v1/";

// Days since 1970-01-01 of a proleptic Gregorian date (the days_from_civil
// algorithm of Howard Hinnant's "chrono-compatible low-level date
// algorithms").
int64_t days_from_civil(int64_t year, int64_t month, int64_t day)
{
    year -= month <= 2;
    int64_t era = year / 400;
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    return era * 146097 + year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year - 719468;
}

// expireOn in Unix seconds, as cloud-init reads it (strptime
// "%Y-%m-%dT%H:%M:%S%z"), with two-digit fields and a zone of "Z", "+HHMM"
// or "+HH:MM"; anything else is never (INT64_MAX): no expiry at all.
int64_t expire_on_seconds(std::string_view text)
{
    constexpr int64_t never = INT64_MAX;
    size_t size = text.size();
    bool utc = size == 20 && text[19] == 'Z';
    if (!utc && size != 24 && size != 25)
        return never;
    // 'd' is a digit; each other character ends a field and must be itself,
    // except '+' (also '-') and '.', the optional ':' of the zone. "Z" reads
    // as "+0000".
    static constexpr char shape[] = "dddd-dd-ddTdd:dd:dd+dd.dd";
    int64_t field[8] = {}; // year, month, day, hour, minute, second, zone hours, zone minutes
    int64_t sign = 60;
    unsigned index = 0, at = 0;
    for (const char* want = shape; *want; ++want) {
        char c = at < size ? text[at] : '0';
        if (utc && at >= 19)
            c = at == 19 ? '+' : '0';
        ++at;
        if (*want == 'd') {
            if (unsigned(c - '0') > 9)
                return never;
            field[index] = field[index] * 10 + c - '0';
            continue;
        }
        ++index;
        if (*want == '.')
            at -= c != ':';
        else if (*want == '+' && c == '-')
            sign = -60;
        else if (c != *want)
            return never;
    }
    // Month, day, hour, minute, second in strptime's ranges.
    static constexpr uint8_t most[] = { 0, 12, 31, 23, 59, 61 };
    for (unsigned i = 1; i < 6; ++i) {
        if (field[i] > most[i] || (i < 3 && !field[i]))
            return never;
    }
    if (at != (utc ? 24 : size))
        return never;
    return days_from_civil(field[0], field[1], field[2]) * 86400 + (field[3] * 60 + field[4]) * 60 + field[5] - (field[6] * 60 + field[7]) * sign;
}

// cloud-init's _has_expired(): only a key whose third field is "google-ssh"
// and whose rest is JSON with an expireOn in the past has expired.
bool has_expired(std::string_view key, int64_t now)
{
    // Past the type and the base64 blob to the third field, spaces around
    // them skipped as Python's split() does. (A tab fails the OpenSSH
    // check later anyway.)
    for (int field = 0; field < 3; ++field) {
        key = trim(key);
        if (field < 2)
            key.remove_prefix(std::min(key.find(' ') + 1, key.size()));
    }
    if (!key.starts_with("google-ssh "))
        return false;
    auto document = parse_json(key.substr(11));
    auto expire_on = document.ok() ? document->string_member("expireOn") : std::nullopt;
    return expire_on && now > expire_on_seconds(*expire_on);
}


// `object`'s string member `name`; nothing when there is no object.
std::optional<std::string_view> member(const JsonValue* object, const char* name)
{
    return object ? object->string_member(name) : std::nullopt;
}

// The keys in `object`'s members `first` and `second`, in that order.
void append_member_keys(const JsonValue* object, const char* first, const char* second, int64_t now, std::vector<std::string>& keys, std::vector<std::string>& warnings)
{
    for (auto name : { first, second })
        append_gce_keys(member(object, name).value_or(""), now, keys, warnings);
}

// A resource path's last component ("projects/1/zones/us-central1-a"), as
// a host name would be: GCE's ids and names are lower-case letters, digits
// and '-'.
void keep_name(std::string_view where, std::optional<std::string_view> value, std::string& field, std::vector<std::string>& warnings)
{
    if (!value)
        return;
    auto name = value->substr(value->rfind('/') + 1);
    if (is_valid_hostname(name))
        field.assign(name);
    else
        warnings.push_back(concat({ "dropping ", where, " '", printable(*value), "'" }));
}

}

void append_gce_keys(std::string_view text, int64_t now, std::vector<std::string>& keys, std::vector<std::string>& warnings)
{
    for (auto line : split_lines(text)) {
        // cloud-init keeps ASCII lines of the form "user:key" only, and of
        // them only the keys of "cloudinit" and of the image's default user.
        // The default user is the real root's cloud.cfg's to say, which the
        // initramfs does not read: kept are the keys cloud-init keeps when
        // there is none. (A non-ASCII line fails the OpenSSH check.)
        if (line.starts_with("cloudinit:") && !has_expired(line.substr(10), now))
            append_public_keys(line.substr(10), "GCE ssh-keys", keys, warnings);
    }
}

Status apply_gce_json(std::string_view json, GceDocument kind, InstanceMetadata& instance, int64_t now, bool& project_keys, std::vector<std::string>& warnings)
{
    auto document = parse_json(json);
    if (document.is_error() || !document->is_object())
        return Error::invalid("GCE metadata: not a JSON object");
    if (kind == GceDocument::Project) {
        append_member_keys(&*document, "ssh-keys", "sshKeys", now, instance.public_keys, warnings);
        return {};
    }
    static constexpr std::pair<const char*, std::string InstanceMetadata::*> fields[] = {
        { "hostname", &InstanceMetadata::hostname },
        { "zone", &InstanceMetadata::availability_zone },
        { "machineType", &InstanceMetadata::instance_type },
    };
    for (auto [key, field] : fields)
        keep_name(key, document->string_member(key), instance.*field, warnings);
    // cloud-init's get_hostname(): GCE's names are long FQDNs
    // ("vm.c.project.internal") and Google asks for the short one.
    std::string_view hostname = instance.hostname, zone = instance.availability_zone;
    instance.local_hostname.assign(hostname.substr(0, hostname.find('.')));
    // The region is the zone without its last "-letter" (DataSourceGCE's
    // region property).
    instance.region.assign(zone.substr(0, zone.rfind('-')));

    const JsonValue* attributes = document->find("attributes");
    // Legacy instance sshKeys, then ssh-keys, in cloud-init's order.
    append_member_keys(attributes, "sshKeys", "ssh-keys", now, instance.public_keys, warnings);

    if (auto user_data = member(attributes, "user-data")) {
        auto encoding = member(attributes, "user-data-encoding").value_or("");
        // cloud-init uses the value as it is under an encoding it does not
        // know, and says so. Base64 is read as common/text's reader does:
        // whitespace skipped, any other stray byte refused (Python's
        // b64decode would skip it).
        if (encoding == "base64") {
            instance.user_data = base64_decode(*user_data);
            if (!instance.user_data)
                warnings.emplace_back("dropping user-data: not base64");
        } else {
            instance.user_data.emplace(*user_data);
            if (!encoding.empty())
                warnings.emplace_back("user-data-encoding unknown: user-data used as it is");
        }
    }
    // Project-wide keys count unless the instance blocks them, or has legacy
    // sshKeys, which replace them (cloud-init's read_md()).
    project_keys = !iequals(member(attributes, "block-project-ssh-keys").value_or(""), "true") && member(attributes, "sshKeys").value_or("").empty();
    return {};
}

GceProvider::GceProvider(Session& session)
    : m_session(session)
{
}

// The server answers 403 to a request without Metadata-Flavor: Google, and
// to one with X-Forwarded-For, so that a browser or proxy tricked into
// fetching the URL cannot read it; metaboot sends the one, never the other.
// https://cloud.google.com/compute/docs/metadata/querying-metadata#parts-of-a-request
Result<std::string> GceProvider::get(std::string_view path)
{
    auto target = concat({ metadata_root, path });
    std::vector<http::Header> headers;
    headers.push_back({ "Metadata-Flavor", "Google" });
    return body_of(m_session.send(http::Method::Get, target, std::move(headers), m_session.options().request_timeout), target);
}

Result<InstanceMetadata> GceProvider::instance()
{
    // Two requests, three when project keys count: cloud-init makes five
    // (id, zone, hostname, and the two attribute trees). GETs only: the PUT
    // cloud-init sends to guest-attributes/ (its host keys) changes the
    // instance, which metaboot never does.
    InstanceMetadata instance;
    instance.api_version = "v1";
    int64_t now = int64_t(std::time(nullptr));
    bool project_keys = false;
    TRY(apply_gce_json(TRY(get("instance/?recursive=true")), GceDocument::Instance, instance, now, project_keys, m_session.warnings()));
    // The id is a 64-bit number, which the recursive JSON gives as a JSON
    // number a double cannot hold exactly; the text form is exact.
    keep_name("instance/id", TRY(get("instance/id")), instance.instance_id, m_session.warnings());
    if (project_keys) {
        // cloud-init reads the project's attributes as optional: a failure
        // costs the project's keys, never the boot.
        auto project = get("project/attributes/?recursive=true");
        Status applied = project.ok() ? apply_gce_json(*project, GceDocument::Project, instance, now, project_keys, m_session.warnings()) : Status(project.release_error());
        if (applied.is_error() && applied.error().kind() != ErrorKind::NotFound)
            m_session.warn(concat({ "no project keys: ", applied.error().message() }));
    }
    return instance;
}

}
