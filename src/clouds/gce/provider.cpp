#include "clouds/gce/gce.h"

#include "clouds/values.h"
#include "common/json.h"
#include "common/text.h"

#include <ctime>

namespace mb::clouds {

namespace {

// The server refuses a request without this header (403), so that a
// browser or proxy tricked into fetching the URL cannot read it.
// https://cloud.google.com/compute/docs/metadata/querying-metadata#parts-of-a-request
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

// expireOn as cloud-init reads it (strptime "%Y-%m-%dT%H:%M:%S%z"), with
// two-digit fields and a zone of "Z", "+HHMM" or "+HH:MM". Anything else
// is no expiry at all.
std::optional<int64_t> parse_expire_on(std::string_view text)
{
    if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':')
        return std::nullopt;
    // Two digits at `at`, or -100, which fails every range check below.
    auto two = [text](size_t at) -> int64_t {
        if (at + 2 > text.size() || uint8_t(text[at] - '0') > 9 || uint8_t(text[at + 1] - '0') > 9)
            return -100;
        return (text[at] - '0') * 10 + text[at + 1] - '0';
    };
    auto zone = text.substr(19);
    // "+HH:MM" has its minutes one place later than "+HHMM".
    size_t minutes = zone.size() == 6 && zone[3] == ':' ? 23 : 22;
    int64_t year = two(0) * 100 + two(2), month = two(5), day = two(8);
    int64_t hour = two(11), minute = two(14), second = two(17);
    int64_t month_days = month == 2 ? 28 + (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) : 30 + ((month + month / 8) & 1);
    if (two(0) < 0 || two(2) < 0 || month < 1 || month > 12 || day < 1 || day > month_days || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 61)
        return std::nullopt;
    int64_t offset = 0;
    if (zone != "Z") {
        if (zone.size() != minutes - 17 || (zone[0] != '+' && zone[0] != '-') || two(20) < 0 || two(minutes) < 0)
            return std::nullopt;
        offset = (two(20) * 60 + two(minutes)) * (zone[0] == '-' ? -60 : 60);
    }
    return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
}

// cloud-init's _has_expired(): only a key whose third field is "google-ssh"
// and whose rest is JSON with an expireOn in the past has expired.
bool has_expired(std::string_view key, int64_t now)
{
    std::string_view field;
    for (int index = 0; index < 3; ++index) {
        key = trim(key);
        field = key.substr(0, key.find(' '));
        key.remove_prefix(field.size());
    }
    if (field != "google-ssh")
        return false;
    auto document = parse_json(key);
    auto expire_on = document.ok() ? document->string_member("expireOn") : std::nullopt;
    auto when = expire_on ? parse_expire_on(*expire_on) : std::nullopt;
    return when && now > *when;
}

// RFC 4648 §4 base64, as Python's b64decode reads it: characters outside
// the alphabet are skipped; a dangling single character is an error.
std::optional<std::string> base64_decode(std::string_view text)
{
    static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    uint32_t bits = 0;
    unsigned count = 0;
    for (char c : text.substr(0, text.find('='))) {
        auto value = alphabet.find(c);
        if (value == std::string_view::npos)
            continue;
        bits = bits << 6 | uint32_t(value);
        // Every fourth character completes three bytes.
        if (++count % 4 == 0)
            out.append({ char(bits >> 16), char(bits >> 8), char(bits) });
    }
    if (count % 4 == 1)
        return std::nullopt;
    // Two or three characters left: one or two more bytes.
    for (unsigned left = count % 4, shift = left * 6 - 8; left > 1; --left, shift -= 8)
        out += char(bits >> shift);
    return out;
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
        field = std::string(name);
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

Status apply_gce_instance(std::string_view json, InstanceMetadata& instance, int64_t now, bool& project_keys, std::vector<std::string>& warnings)
{
    auto document = parse_json(json);
    if (document.is_error())
        return document.release_error().context("instance/");
    if (!document->is_object())
        return Error::invalid("instance/: not a JSON object");

    keep_name("hostname", document->string_member("hostname"), instance.hostname, warnings);
    keep_name("zone", document->string_member("zone"), instance.availability_zone, warnings);
    keep_name("machineType", document->string_member("machineType"), instance.instance_type, warnings);
    // cloud-init's get_hostname(): GCE's names are long FQDNs
    // ("vm.c.project.internal") and Google asks for the short one.
    instance.local_hostname = instance.hostname.substr(0, instance.hostname.find('.'));
    // The region is the zone without its last "-letter" (DataSourceGCE's
    // region property).
    instance.region = instance.availability_zone.substr(0, instance.availability_zone.rfind('-'));

    const JsonValue* attributes = document->find("attributes");
    // Legacy instance sshKeys, then ssh-keys, in cloud-init's order.
    append_member_keys(attributes, "sshKeys", "ssh-keys", now, instance.public_keys, warnings);

    if (auto user_data = member(attributes, "user-data")) {
        auto encoding = member(attributes, "user-data-encoding").value_or("");
        instance.user_data = std::string(*user_data);
        // cloud-init uses the value as it is under an encoding it does not
        // know, and says so.
        if (encoding == "base64")
            instance.user_data = base64_decode(*user_data);
        else if (!encoding.empty())
            warnings.push_back("user-data-encoding unknown: user-data used as it is");
        if (!instance.user_data)
            warnings.push_back("dropping user-data: not base64");
    }
    // Project-wide keys count unless the instance blocks them, or has legacy
    // sshKeys, which replace them (cloud-init's read_md()).
    project_keys = !iequals(member(attributes, "block-project-ssh-keys").value_or(""), "true") && member(attributes, "sshKeys").value_or("").empty();
    return {};
}

Status apply_gce_project(std::string_view json, InstanceMetadata& instance, int64_t now, std::vector<std::string>& warnings)
{
    auto document = TRY(parse_json(json));
    append_member_keys(&document, "ssh-keys", "sshKeys", now, instance.public_keys, warnings);
    return {};
}

GceProvider::GceProvider(Session& session)
    : m_session(session)
{
}

Result<std::string> GceProvider::get(std::string_view path)
{
    auto target = concat({ metadata_root, path });
    return body_of(m_session.send(http::Method::Get, target, { { "Metadata-Flavor", "Google" } }, m_session.options().request_timeout), "GET " + target);
}

Result<InstanceMetadata> GceProvider::instance()
{
    // Two requests, three when project keys count: cloud-init makes five
    // (id, zone, hostname, and the two attribute trees).
    InstanceMetadata instance;
    int64_t now = int64_t(std::time(nullptr));
    bool project_keys = false;
    TRY(apply_gce_instance(TRY(get("instance/?recursive=true")), instance, now, project_keys, m_session.warnings()));
    // The id is a 64-bit number, which the recursive JSON gives as a JSON
    // number a double cannot hold exactly; the text form is exact.
    keep_name("instance/id", trim(TRY(get("instance/id"))), instance.instance_id, m_session.warnings());
    if (project_keys) {
        // cloud-init reads the project's attributes as optional: a failure
        // costs the project's keys, never the boot.
        auto project = get("project/attributes/?recursive=true");
        Status applied = project.ok() ? apply_gce_project(*project, instance, now, m_session.warnings()) : Status(project.release_error());
        if (applied.is_error() && applied.error().kind() != ErrorKind::NotFound)
            m_session.warn("no project keys: " + applied.error().message());
    }
    return instance;
}

}
