// The YAML subset reader (see yaml.h). Line-oriented: the input is cut into
// lines once, each with its indentation, and the block structure is read by
// recursive descent over them. "- key: value" is read by narrowing the
// line to what follows "- " at its own column, where a mapping then starts.
// YAML 1.2 spec section numbers are cited where a rule is applied.
#include "common/yaml.h"

#include "common/format.h"
#include "common/json_writer.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

namespace mb {

namespace {

struct Line {
    std::string_view raw;  // without the line break
    std::string_view text; // after the indentation, trailing blanks cut
    size_t indent;
    size_t number;
};

bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

std::string_view trim_blanks(std::string_view text)
{
    while (!text.empty() && is_blank(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_blank(text.back()))
        text.remove_suffix(1);
    return text;
}

// Nothing, or only a comment (§6.6: '#' after a blank, or at the start).
bool is_empty_rest(std::string_view rest)
{
    rest = trim_blanks(rest);
    return rest.empty() || rest.front() == '#';
}

// "- " or a lone "-" (§8.2.1).
bool is_sequence_entry(std::string_view text)
{
    return text.starts_with('-') && (text.size() == 1 || is_blank(text[1]));
}

bool is_document_marker(const Line& line)
{
    auto text = line.text;
    return line.indent == 0 && (text.starts_with("---") || text.starts_with("...")) && (text.size() == 3 || is_blank(text[3]));
}

void append_utf8(std::string& out, uint32_t code)
{
    if (code < 0x80) {
        out += char(code);
    } else if (code < 0x800) {
        out += char(0xc0 | code >> 6);
        out += char(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
        out += char(0xe0 | code >> 12);
        out += char(0x80 | ((code >> 6) & 0x3f));
        out += char(0x80 | (code & 0x3f));
    } else {
        out += char(0xf0 | code >> 18);
        out += char(0x80 | ((code >> 12) & 0x3f));
        out += char(0x80 | ((code >> 6) & 0x3f));
        out += char(0x80 | (code & 0x3f));
    }
}

// A quoted scalar that starts at text[0] and ends on the same line; `end`
// is set past its closing quote. Nothing on failure.
std::optional<std::string> read_quoted(std::string_view text, size_t& end)
{
    char quote = text[0];
    std::string out;
    for (size_t i = 1; i < text.size(); ++i) {
        char c = text[i];
        if (c == quote) {
            // §7.3.2: '' is a quote inside single quotes.
            if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
                out += '\'';
                ++i;
                continue;
            }
            end = i + 1;
            return out;
        }
        if (c != '\\' || quote == '\'') {
            out += c;
            continue;
        }
        // §5.7 escapes.
        if (++i == text.size())
            return std::nullopt;
        static constexpr std::string_view simple = "0abt\tnvfre \"/\\";
        static constexpr std::string_view meaning("\0\a\b\t\t\n\v\f\r\x1b \"/\\", 14);
        if (auto at = simple.find(text[i]); at != std::string_view::npos) {
            out += meaning[at];
            continue;
        }
        static constexpr std::string_view named = "N_LP";
        static constexpr uint32_t named_code[] = { 0x85, 0xa0, 0x2028, 0x2029 };
        auto at = named.find(text[i]);
        size_t digits = text[i] == 'x' ? 2 : text[i] == 'u' ? 4 : text[i] == 'U' ? 8 : 0;
        if (at == std::string_view::npos && !digits)
            return std::nullopt;
        uint32_t code = at == std::string_view::npos ? 0 : named_code[at];
        for (size_t k = 0; k < digits; ++k) {
            char h = ++i < text.size() ? text[i] : 'g';
            int value = h >= '0' && h <= '9' ? h - '0' : (h | 0x20) >= 'a' && (h | 0x20) <= 'f' ? (h | 0x20) - 'a' + 10 : -1;
            if (value < 0 || code > 0x10ffff)
                return std::nullopt;
            code = code << 4 | uint32_t(value);
        }
        if (code > 0x10ffff || (code >= 0xd800 && code < 0xe000))
            return std::nullopt;
        append_utf8(out, code);
    }
    return std::nullopt;
}

// Where a "key: value" line's separating ':' is (§7.4, §8.2.2): after a
// quoted key, or the first ':' followed by a blank or the end of the line,
// before any comment. npos: the line is no mapping entry.
size_t key_colon(std::string_view text)
{
    size_t i = 0;
    if (text.starts_with('[') || text.starts_with('{'))
        return std::string_view::npos;
    if (text.starts_with('"') || text.starts_with('\'')) {
        if (!read_quoted(text, i))
            return std::string_view::npos;
        while (i < text.size() && is_blank(text[i]))
            ++i;
        return i < text.size() && text[i] == ':' && (i + 1 == text.size() || is_blank(text[i + 1])) ? i : std::string_view::npos;
    }
    for (; i < text.size(); ++i) {
        if (text[i] == '#' && i > 0 && is_blank(text[i - 1]))
            break;
        if (text[i] == ':' && (i + 1 == text.size() || is_blank(text[i + 1])))
            return i;
    }
    return std::string_view::npos;
}

// The first error is kept, and reading stops at once: every loop below
// runs while lines are left, and an error moves past the last one.
class Reader {
public:
    explicit Reader(std::string_view text);
    Result<JsonValue> document();

private:
    void fail(const char* why, ErrorKind kind = ErrorKind::Invalid);
    void skip_blank_lines();
    bool count_node();
    JsonValue block(size_t indent);
    JsonValue sequence(size_t indent);
    JsonValue mapping(size_t indent);
    JsonValue child(size_t parent, bool under_key);
    JsonValue value(std::string_view text, size_t content_min);
    JsonValue block_scalar(std::string_view header, size_t content_min);
    JsonValue flow(std::string_view text);
    JsonValue scalar(std::string text, bool quoted);
    std::optional<std::string> key_text(std::string_view text);

    std::vector<Line> m_lines;
    size_t m_at { 0 };
    size_t m_line { 0 }; // the number of the line being read, for errors
    size_t m_nodes { 0 };
    size_t m_depth { 0 };
    std::optional<Error> m_error;
};

Reader::Reader(std::string_view text)
{
    size_t number = 0;
    for (;;) {
        auto end = text.find('\n');
        auto raw = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (raw.ends_with('\r'))
            raw.remove_suffix(1);
        size_t indent = raw.find_first_not_of(' ');
        indent = indent == std::string_view::npos ? raw.size() : indent;
        m_lines.push_back({ raw, trim_blanks(raw.substr(indent)), indent, ++number });
        if (end == std::string_view::npos)
            break;
    }
}

void Reader::fail(const char* why, ErrorKind kind)
{
    if (!m_error)
        m_error = Error(kind, strf("YAML line %zu: %s", m_line, why));
    m_at = m_lines.size();
}

void Reader::skip_blank_lines()
{
    while (m_at < m_lines.size() && is_empty_rest(m_lines[m_at].text))
        ++m_at;
}

bool Reader::count_node()
{
    if (++m_nodes > max_yaml_nodes)
        fail("too many nodes", ErrorKind::TooLarge);
    return !m_error;
}

Result<JsonValue> Reader::document()
{
    for (auto& line : m_lines) {
        m_line = line.number;
        // §6.1: tabs never indent. A tab-indented comment or blank line
        // is still nothing.
        if (line.indent < line.raw.size() && line.raw[line.indent] == '\t' && !is_empty_rest(line.text))
            fail("a tab in the indentation");
        for (unsigned char c : line.raw) {
            // §5.1: printable characters only.
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                fail("a control character");
        }
        if (m_error)
            return *m_error;
    }
    skip_blank_lines();
    m_line = m_at < m_lines.size() ? m_lines[m_at].number : 0;
    if (m_at < m_lines.size() && m_lines[m_at].text.starts_with('%'))
        fail("directives are not supported");
    if (m_at < m_lines.size() && is_document_marker(m_lines[m_at]) && m_lines[m_at].text[0] == '-') {
        if (!is_empty_rest(m_lines[m_at].text.substr(3)))
            fail("content on the '---' line is not supported");
        ++m_at;
        skip_blank_lines();
    }
    JsonValue root = JsonValue::make_null();
    if (m_at < m_lines.size() && !is_document_marker(m_lines[m_at]))
        root = block(m_lines[m_at].indent);
    else
        count_node();
    skip_blank_lines();
    if (m_at < m_lines.size() && m_lines[m_at].text.starts_with("...") && is_document_marker(m_lines[m_at])) {
        ++m_at;
        skip_blank_lines();
    }
    if (m_at < m_lines.size()) {
        m_line = m_lines[m_at].number;
        fail(is_document_marker(m_lines[m_at]) ? "a second document is not supported" : "unexpected content (indentation?)");
    }
    if (m_error)
        return *m_error;
    return root;
}

// A node that starts on the current line at `indent`.
JsonValue Reader::block(size_t indent)
{
    JsonValue node = JsonValue::make_null();
    m_line = m_lines[m_at].number;
    if (++m_depth > max_yaml_depth) {
        fail("nested too deep", ErrorKind::TooLarge);
        return node;
    }
    auto text = m_lines[m_at].text;
    node = is_sequence_entry(text)                          ? sequence(indent)
        : key_colon(text) != std::string_view::npos ? mapping(indent)
                                                    : value(text, indent);
    --m_depth;
    return node;
}

// The value of "key:" or "-" with nothing after it on its line: the
// more indented lines that follow, or, under a key, a sequence at the key's
// own indentation (§8.2.1's compact form); Null when there are none.
JsonValue Reader::child(size_t parent, bool under_key)
{
    skip_blank_lines();
    if (m_at < m_lines.size()) {
        auto& line = m_lines[m_at];
        if (line.indent > parent && !is_document_marker(line))
            return block(line.indent);
        if (under_key && line.indent == parent && is_sequence_entry(line.text))
            return block(parent);
    }
    count_node();
    return JsonValue::make_null();
}

JsonValue Reader::sequence(size_t indent)
{
    JsonValue list = JsonValue::make_array({});
    count_node();
    while (m_at < m_lines.size() && m_lines[m_at].indent == indent && is_sequence_entry(m_lines[m_at].text)) {
        auto& line = m_lines[m_at];
        m_line = line.number;
        auto rest = line.text.substr(1);
        size_t column = indent + 1;
        while (!rest.empty() && is_blank(rest.front())) {
            if (rest.front() == '\t') {
                fail("a tab in the indentation");
                return list;
            }
            rest.remove_prefix(1);
            ++column;
        }
        if (is_empty_rest(rest)) {
            ++m_at;
            list.append_item(child(indent, false));
        } else if (is_sequence_entry(rest) || key_colon(rest) != std::string_view::npos) {
            // "- key: value" or "- - item": a block at the column after "- ".
            line.indent = column;
            line.text = rest;
            list.append_item(block(column));
        } else {
            list.append_item(value(rest, indent + 1));
        }
        skip_blank_lines();
        if (m_at < m_lines.size() && m_lines[m_at].indent > indent) {
            m_line = m_lines[m_at].number;
            fail("unexpected indentation");
        }
    }
    return list;
}

std::optional<std::string> Reader::key_text(std::string_view text)
{
    text = trim_blanks(text);
    if (text.starts_with('"') || text.starts_with('\'')) {
        size_t end = 0;
        auto key = read_quoted(text, end);
        if (key && end == text.size())
            return key;
        fail("malformed quoted key");
    } else if (text == "<<") {
        fail("merge keys are not supported");
    } else if (text.empty() || std::string_view("&*!?|>%@`{}[],#").find(text.front()) != std::string_view::npos) {
        fail("a key must be a plain or quoted scalar (no anchors, aliases, tags or complex keys)");
    } else {
        return std::string(text);
    }
    return std::nullopt;
}

JsonValue Reader::mapping(size_t indent)
{
    JsonValue object = JsonValue::make_object({}, {});
    count_node();
    while (m_at < m_lines.size() && m_lines[m_at].indent == indent && !is_document_marker(m_lines[m_at]) && !is_sequence_entry(m_lines[m_at].text)) {
        auto& line = m_lines[m_at];
        m_line = line.number;
        size_t colon = key_colon(line.text);
        auto key = colon == std::string_view::npos ? std::nullopt : key_text(line.text.substr(0, colon));
        if (!key) {
            fail("expected 'key: value'");
            break;
        }
        if (object.find(*key)) {
            fail("duplicate key");
            break;
        }
        auto rest = trim_blanks(line.text.substr(colon + 1));
        JsonValue item = JsonValue::make_null();
        if (is_empty_rest(rest)) {
            ++m_at;
            item = child(indent, true);
        } else {
            item = value(rest, indent + 1);
        }
        object.set_member(*key, std::move(item));
        skip_blank_lines();
        if (m_at < m_lines.size() && m_lines[m_at].indent > indent) {
            m_line = m_lines[m_at].number;
            fail("unexpected indentation");
        }
    }
    return object;
}

// A value that is the rest of the current line (a scalar or a flow
// collection), or a block scalar's header; consumes its lines.
JsonValue Reader::value(std::string_view text, size_t content_min)
{
    m_line = m_lines[m_at++].number;
    char first = text.front();
    if (first == '&' || first == '*' || first == '!') {
        fail("anchors, aliases and tags are not supported");
    } else if (first == '|' || first == '>') {
        return block_scalar(text, content_min);
    } else if (first == '[' || first == '{') {
        return flow(text);
    } else if (first == '"' || first == '\'') {
        size_t end = 0;
        auto quoted = read_quoted(text, end);
        if (!quoted)
            fail("a quoted scalar must end on its line, with valid escapes");
        else if (!is_empty_rest(text.substr(end)) || (end < text.size() && !is_blank(text[end])))
            fail("text after a quoted scalar");
        else
            return scalar(std::move(*quoted), true);
    } else {
        // A plain scalar (§7.3.3), up to a comment.
        for (size_t i = 1; i < text.size(); ++i) {
            if (text[i] == '#' && is_blank(text[i - 1])) {
                text = trim_blanks(text.substr(0, i));
                break;
            }
        }
        // Indicators cannot start it; '-', '?' and ':' can when a non-blank
        // follows.
        bool lone = text.size() == 1 || is_blank(text[1]);
        if (std::string_view("%@`,]}").find(first) != std::string_view::npos || (std::string_view("-?:").find(first) != std::string_view::npos && lone))
            fail("a plain scalar cannot start with an indicator ('-', '?', ':', ',', ']', '}', '%', '@', '`')");
        else if (key_colon(text) != std::string_view::npos)
            fail("a mapping cannot start here");
        else
            return scalar(std::string(text), false);
    }
    return JsonValue::make_null();
}

JsonValue Reader::scalar(std::string text, bool quoted)
{
    if (text.size() > max_yaml_scalar)
        fail("a scalar too long", ErrorKind::TooLarge);
    if (!count_node())
        return JsonValue::make_null();
    // PyYAML's YAML 1.1 null; everything else stays text (yaml.h).
    if (!quoted && (text == "~" || text == "null" || text == "Null" || text == "NULL"))
        return JsonValue::make_null();
    return JsonValue::make_string(std::move(text));
}

// §8.1: '|' keeps the line breaks, '>' folds them; '-' strips the final
// line breaks, '+' keeps them all, the default clips to one. A digit gives
// the content's indentation relative to the parent's.
JsonValue Reader::block_scalar(std::string_view header, size_t content_min)
{
    bool folded = header[0] == '>';
    char chomp = 0;
    size_t indent = 0;
    size_t i = 1;
    for (; i < header.size() && i < 3; ++i) {
        char c = header[i];
        if ((c == '-' || c == '+') && !chomp)
            chomp = c;
        else if (c >= '1' && c <= '9' && !indent)
            indent = content_min - 1 + size_t(c - '0');
        else
            break;
    }
    if (!is_empty_rest(header.substr(i)) || (i < header.size() && !is_blank(header[i]))) {
        fail("malformed block scalar header");
        return JsonValue::make_null();
    }
    std::vector<std::string_view> lines;
    size_t body = 0; // lines up to the last non-empty one
    for (; m_at < m_lines.size(); ++m_at) {
        auto raw = m_lines[m_at].raw;
        size_t spaces = raw.find_first_not_of(' ');
        if (spaces == std::string_view::npos) {
            lines.push_back(indent && raw.size() > indent ? raw.substr(indent) : std::string_view());
            continue;
        }
        if (!indent && spaces >= content_min)
            indent = spaces;
        if (spaces < indent || !indent)
            break;
        lines.push_back(raw.substr(indent));
        body = lines.size();
    }
    std::string out;
    bool previous_normal = false;
    size_t breaks = 0;
    for (size_t k = 0; k < body && out.size() <= max_yaml_scalar; ++k) {
        auto line = lines[k];
        if (line.empty()) {
            ++breaks;
            continue;
        }
        bool normal = !is_blank(line.front());
        if (!folded || k == breaks)
            out.append(breaks + (k > breaks), '\n');
        else if (previous_normal && normal)
            out.append(breaks ? breaks : 1, breaks ? '\n' : ' ');
        else
            out.append(breaks + 1, '\n');
        out += line;
        previous_normal = normal;
        breaks = 0;
    }
    if (body && chomp != '-')
        out += '\n';
    if (chomp == '+')
        out.append(lines.size() - body, '\n');
    return scalar(std::move(out), true);
}

// A flow collection of scalars on one line (§7.4, §7.5): no nesting.
JsonValue Reader::flow(std::string_view text)
{
    bool is_map = text[0] == '{';
    char close = is_map ? '}' : ']';
    JsonValue out = is_map ? JsonValue::make_object({}, {}) : JsonValue::make_array({});
    count_node();
    size_t i = 1;
    auto skip = [&] {
        while (i < text.size() && is_blank(text[i]))
            ++i;
    };
    // One scalar: quoted, or plain up to ',', a bracket, ':' + blank or a
    // comment. Sets `quoted`.
    bool quoted = false;
    auto item = [&]() -> std::string {
        skip();
        quoted = i < text.size() && (text[i] == '"' || text[i] == '\'');
        if (quoted) {
            size_t end = 0;
            auto inside = read_quoted(text.substr(i), end);
            i += end;
            if (inside)
                return *inside;
        } else {
            size_t start = i;
            for (; i < text.size(); ++i) {
                char c = text[i];
                if (c == ',' || c == '[' || c == ']' || c == '{' || c == '}' || (c == '#' && is_blank(text[i - 1])) || (c == ':' && (i + 1 == text.size() || is_blank(text[i + 1]))))
                    break;
            }
            auto plain = trim_blanks(text.substr(start, i - start));
            if (!plain.empty() && std::string_view("&*!|>%@`'\"").find(plain.front()) == std::string_view::npos)
                return std::string(plain);
        }
        fail("a flow collection holds plain or quoted scalars only, on one line");
        return {};
    };
    while (!m_error) {
        skip();
        if (i < text.size() && text[i] == close)
            break;
        auto first = item();
        skip();
        if (!is_map) {
            out.append_item(scalar(std::move(first), quoted));
        } else if (i == text.size() || text[i] != ':') {
            fail("expected ':' in a flow mapping");
        } else {
            ++i;
            if (out.find(first))
                fail("duplicate key");
            auto second = item();
            out.set_member(first, scalar(std::move(second), quoted));
        }
        skip();
        if (i < text.size() && text[i] == ',')
            ++i;
        else if (i == text.size() || text[i] != close)
            fail("a flow collection must end on its line, of scalars only");
    }
    ++i;
    if (!is_empty_rest(text.substr(std::min(i, text.size()))) || (i < text.size() && !is_blank(text[i])))
        fail("text after a flow collection");
    return out;
}

}

Result<JsonValue> parse_yaml(std::string_view text)
{
    // The line cap bounds the line table (48 bytes a line) where the size
    // cap alone would allow 128 Ki empty lines.
    if (text.size() > max_yaml_size || size_t(std::count(text.begin(), text.end(), '\n')) >= max_yaml_lines)
        return Error::too_large("YAML: over the size or line cap (128 KiB, 8192 lines)");
    static_assert(max_yaml_size == 128 * 1024 && max_yaml_lines == 8192, "the message above names the caps");
    // A UTF-8 byte order mark may start a stream (§5.2).
    if (text.starts_with("\xef\xbb\xbf"))
        text.remove_prefix(3);
    // §5.2: metaboot reads UTF-8 only, which also keeps every string the
    // tree holds valid for the JSON writer.
    if (!is_valid_utf8(text))
        return Error::invalid("YAML: not UTF-8");
    return Reader(text).document();
}

}
