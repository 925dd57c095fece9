#include "fs/root_config.h"

#include "common/text.h"

#include <vector>

namespace mb::fs {

namespace {

// Drops a YAML comment: '#' at the start or after a blank, outside quotes.
std::string_view strip_comment(std::string_view line)
{
    char quote = 0;
    for (size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (quote) {
            if (c == quote)
                quote = 0;
            continue;
        }
        if (c == '\'' || c == '"') {
            quote = c;
            continue;
        }
        if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t'))
            return line.substr(0, i);
    }
    return line;
}

std::string_view unquote(std::string_view value)
{
    value = trim(value);
    if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"') && value.back() == value.front())
        return value.substr(1, value.size() - 2);
    return value;
}

struct KeyValue {
    std::string_view key;
    std::string_view value;
};

// "key: value" or "key:" (a ':' followed by a blank or the end), the key
// optionally quoted.
std::optional<KeyValue> split_key(std::string_view text)
{
    char quote = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quote) {
            if (c == quote)
                quote = 0;
            continue;
        }
        if ((c == '\'' || c == '"') && i == 0) {
            quote = c;
            continue;
        }
        if (c == ':' && (i + 1 == text.size() || text[i + 1] == ' ' || text[i + 1] == '\t'))
            return KeyValue { unquote(text.substr(0, i)), trim(text.substr(i + 1)) };
    }
    return std::nullopt;
}

// `{a: b, config: disabled}` on one line: the value of `config`, if any.
std::optional<std::string> flow_config(std::string_view value)
{
    if (value.size() < 2 || value.front() != '{' || value.back() != '}')
        return std::nullopt;
    value = value.substr(1, value.size() - 2);
    std::optional<std::string> found;
    int depth = 0;
    char quote = 0;
    size_t start = 0;
    for (size_t i = 0; i <= value.size(); ++i) {
        char c = i < value.size() ? value[i] : ',';
        if (quote) {
            if (c == quote)
                quote = 0;
            continue;
        }
        if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            --depth;
        } else if (c == ',' && depth == 0) {
            auto item = split_key(trim(value.substr(start, i - start)));
            if (item && item->key == "config")
                found = std::string(unquote(item->value));
            start = i + 1;
        }
    }
    return found;
}

}

std::optional<std::string> cloud_config_network_setting(std::string_view text)
{
    std::optional<std::string> setting;
    bool in_network = false;
    size_t child_indent = 0;
    bool child_indent_known = false;

    while (!text.empty()) {
        size_t newline = text.find('\n');
        std::string_view raw = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);

        std::string_view line = strip_comment(raw);
        if (trim(line).empty())
            continue;
        if (line.substr(0, 3) == "---" || line.substr(0, 3) == "...") {
            in_network = false;
            continue;
        }
        size_t indent = 0;
        while (indent < line.size() && line[indent] == ' ')
            ++indent;
        if (indent < line.size() && line[indent] == '\t')
            continue; // tabs cannot indent YAML; cloud-init would fail on it too
        std::string_view content = trim(line.substr(indent));

        if (indent == 0) {
            in_network = false;
            child_indent_known = false;
            auto item = split_key(content);
            if (!item || item->key != "network")
                continue;
            if (item->value.empty())
                in_network = true;
            else if (auto value = flow_config(item->value))
                setting = *value;
            continue;
        }
        if (!in_network)
            continue;
        if (!child_indent_known) {
            child_indent = indent;
            child_indent_known = true;
        }
        if (indent != child_indent)
            continue; // deeper: inside another key of `network`
        auto item = split_key(content);
        if (item && item->key == "config" && !item->value.empty() && item->value.front() != '{' && item->value.front() != '[')
            setting = std::string(unquote(item->value));
    }
    return setting;
}

bool selinux_enforcing(std::string_view selinux_config, std::string_view cmdline)
{
    for (auto word : split(cmdline, ' ')) {
        word = trim(word);
        if (word == "selinux=0" || word == "enforcing=0")
            return false;
    }
    bool enforcing = false;
    for (auto raw : split_lines(selinux_config)) {
        auto line = trim(strip_comment(raw));
        if (line.starts_with("SELINUX="))
            enforcing = unquote(line.substr(8)) == "enforcing";
    }
    return enforcing;
}

}
