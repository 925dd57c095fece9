#include "common/json_writer.h"

namespace mb {

namespace {

// Length of the valid UTF-8 sequence at `text[0]`, or 0 (RFC 3629 §4: no
// overlongs, no surrogates, nothing above U+10FFFF).
size_t utf8_sequence_length(std::string_view text)
{
    auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byte(0);
    if (lead < 0x80)
        return 1;
    size_t length;
    unsigned char min_second = 0x80, max_second = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead == 0xe0)
            min_second = 0xa0;
        if (lead == 0xed)
            max_second = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead == 0xf0)
            min_second = 0x90;
        if (lead == 0xf4)
            max_second = 0x8f;
    } else {
        return 0;
    }
    if (text.size() < length)
        return 0;
    if (byte(1) < min_second || byte(1) > max_second)
        return 0;
    for (size_t i = 2; i < length; ++i) {
        if (byte(i) < 0x80 || byte(i) > 0xbf)
            return 0;
    }
    return length;
}

// RFC 8259 §7: the quote, the backslash and the controls must be escaped.
void append_escaped(std::string& out, std::string_view text)
{
    constexpr char hex[] = "0123456789abcdef";
    for (unsigned char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xf];
            } else {
                out += char(c);
            }
        }
    }
}

}

bool is_valid_utf8(std::string_view text)
{
    while (!text.empty()) {
        size_t length = utf8_sequence_length(text);
        if (length == 0)
            return false;
        text.remove_prefix(length);
    }
    return true;
}

std::string json_string(std::string_view bytes)
{
    std::string out;
    out.reserve(bytes.size() + 2);
    out += '"';
    while (!bytes.empty()) {
        size_t length = utf8_sequence_length(bytes);
        if (length == 0) {
            out += "\xef\xbf\xbd"; // U+FFFD
            bytes.remove_prefix(1);
            continue;
        }
        append_escaped(out, bytes.substr(0, length));
        bytes.remove_prefix(length);
    }
    out += '"';
    return out;
}

void JsonWriter::open(char bracket)
{
    separator();
    m_out += bracket;
    m_first.push_back(true);
}

void JsonWriter::close(char bracket)
{
    bool empty = m_first.back();
    m_first.pop_back();
    if (!empty)
        newline();
    m_out += bracket;
}

void JsonWriter::key(std::string_view name)
{
    separator();
    m_out += json_string(name);
    m_out += m_layout == Layout::Pretty ? ": " : ":";
    m_after_key = true;
}

void JsonWriter::string(std::string_view value)
{
    separator();
    m_out += json_string(value);
}

void JsonWriter::number(uint64_t value)
{
    separator();
    m_out += std::to_string(value);
}

void JsonWriter::signed_number(int64_t value)
{
    separator();
    m_out += std::to_string(value);
}

void JsonWriter::boolean(bool value)
{
    separator();
    m_out += value ? "true" : "false";
}

void JsonWriter::null()
{
    separator();
    m_out += "null";
}

void JsonWriter::raw(std::string_view json)
{
    separator();
    while (!json.empty() && (json.back() == '\n' || json.back() == ' '))
        json.remove_suffix(1);
    m_out += json;
}

void JsonWriter::string_list(const std::vector<std::string>& values)
{
    open_array();
    for (const auto& value : values)
        string(value);
    close_array();
}

std::string JsonWriter::release()
{
    if (m_layout == Layout::Pretty)
        m_out += '\n';
    m_first.clear();
    m_after_key = false;
    return std::move(m_out);
}

void JsonWriter::newline()
{
    if (m_layout == Layout::Compact)
        return;
    m_out += '\n';
    m_out.append(m_first.size() * 2, ' ');
}

void JsonWriter::separator()
{
    if (m_after_key) {
        m_after_key = false;
        return;
    }
    if (m_first.empty())
        return;
    if (!m_first.back())
        m_out += ',';
    m_first.back() = false;
    newline();
}

}
