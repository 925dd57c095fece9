#include "cli/report.h"

namespace mb::cli {

void write_request_timings(JsonWriter& json, const clouds::FetchStats& stats)
{
    json.open_array();
    for (const auto& t : stats.timings) {
        json.open_object();
        json.field("method", t.method);
        json.field("path", t.path);
        json.field("status", uint64_t(t.status));
        json.field("ms", uint64_t(t.milliseconds));
        json.close_object();
    }
    json.close_array();
}

}
