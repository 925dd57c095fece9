// The one JSON writer: the state files (metadata.json, lease.json,
// timings.json) and every `--json` output go through it, so escaping and
// UTF-8 repair exist once. Pretty for files people read, compact for the
// one-line outputs that scripts parse.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mb {

// A JSON string literal (with the quotes) for arbitrary bytes: bytes that are
// not valid UTF-8 become U+FFFD, so the document is always valid JSON
// (RFC 8259 §8.1).
std::string json_string(std::string_view bytes);

// Is the whole text valid UTF-8 (the rule string() repairs by)?
bool is_valid_utf8(std::string_view text);

class JsonWriter {
public:
    enum class Layout {
        Compact, // one line
        Pretty,  // two-space indent, a trailing newline
    };

    explicit JsonWriter(Layout layout = Layout::Compact)
        : m_layout(layout)
    {
    }

    void open_object() { open('{'); }
    void close_object() { close('}'); }
    void open_array() { open('['); }
    void close_array() { close(']'); }

    void key(std::string_view name);
    void string(std::string_view value);
    void number(uint64_t value);
    void signed_number(int64_t value);
    void boolean(bool value);
    void null();
    // Text that is already a JSON document (a nested writer's output).
    void raw(std::string_view json);

    // key + value shorthands, for the flat parts of a document.
    void field(std::string_view name, std::string_view value)
    {
        key(name);
        string(value);
    }
    void field(std::string_view name, const char* value) { field(name, std::string_view(value)); }
    void field(std::string_view name, const std::string& value) { field(name, std::string_view(value)); }
    void field(std::string_view name, uint64_t value)
    {
        key(name);
        number(value);
    }
    void field(std::string_view name, bool value)
    {
        key(name);
        boolean(value);
    }

    template<typename T>
    void optional_number(const std::optional<T>& value)
    {
        if (value)
            number(uint64_t(*value));
        else
            null();
    }
    // Strong types (addresses, prefixes, MACs) through their to_string().
    template<typename T>
    void optional_text(const std::optional<T>& value)
    {
        if (value)
            string(value->to_string());
        else
            null();
    }
    template<typename T>
    void text_list(const std::vector<T>& values)
    {
        open_array();
        for (const auto& value : values)
            string(value.to_string());
        close_array();
    }
    void string_list(const std::vector<std::string>& values);

    // key + value for the optional and list shapes above.
    template<typename T>
    void optional_number_field(std::string_view name, const std::optional<T>& value)
    {
        key(name);
        optional_number(value);
    }
    template<typename T>
    void optional_text_field(std::string_view name, const std::optional<T>& value)
    {
        key(name);
        optional_text(value);
    }
    template<typename T>
    void text_list_field(std::string_view name, const std::vector<T>& values)
    {
        key(name);
        text_list(values);
    }
    void string_list_field(std::string_view name, const std::vector<std::string>& values)
    {
        key(name);
        string_list(values);
    }

    // The document; the writer is empty afterwards.
    std::string release();

private:
    void open(char bracket);
    void close(char bracket);
    void newline();
    void separator();

    Layout m_layout;
    std::string m_out;
    std::vector<bool> m_first;
    bool m_after_key { false };
};

}
