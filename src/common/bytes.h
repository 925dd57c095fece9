// Bounds-checked cursor over received bytes, and an appending writer.
//
// The reader has a sticky error: once a read runs past the end, every later
// read returns zeros and ok() stays false, so a decoder can read a whole header
// and check once at the end (the u-root uio.Lexer habit). Byte order is
// converted here and nowhere else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mb {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

inline ByteSpan as_bytes(std::string_view text)
{
    return { reinterpret_cast<const uint8_t*>(text.data()), text.size() };
}

class ByteReader {
public:
    explicit ByteReader(ByteSpan data)
        : m_data(data)
    {
    }

    bool ok() const { return !m_overrun; }
    size_t offset() const { return m_offset; }
    size_t remaining() const { return m_overrun ? 0 : m_data.size() - m_offset; }
    bool at_end() const { return remaining() == 0; }

    uint8_t read_u8()
    {
        if (!take(1))
            return 0;
        return m_data[m_offset - 1];
    }

    uint16_t read_u16()
    {
        if (!take(2))
            return 0;
        auto const* p = &m_data[m_offset - 2];
        return static_cast<uint16_t>((p[0] << 8) | p[1]);
    }

    uint32_t read_u32()
    {
        if (!take(4))
            return 0;
        auto const* p = &m_data[m_offset - 4];
        return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
    }

    // Returns an empty span on overrun.
    ByteSpan read_bytes(size_t count)
    {
        if (!take(count))
            return {};
        return m_data.subspan(m_offset - count, count);
    }

    void skip(size_t count) { (void)take(count); }

    ByteSpan rest()
    {
        if (m_overrun)
            return {};
        auto out = m_data.subspan(m_offset);
        m_offset = m_data.size();
        return out;
    }

private:
    bool take(size_t count)
    {
        if (m_overrun || count > m_data.size() - m_offset) {
            m_overrun = true;
            return false;
        }
        m_offset += count;
        return true;
    }

    ByteSpan m_data;
    size_t m_offset { 0 };
    bool m_overrun { false };
};

// Appends to a growable buffer, so it cannot overflow. An optional limit turns
// it into a bounded writer with a sticky status, for fixed-size frames.
class ByteWriter {
public:
    explicit ByteWriter(size_t limit = SIZE_MAX)
        : m_limit(limit)
    {
    }

    bool ok() const { return !m_overflow; }
    size_t size() const { return m_buffer.size(); }
    const Bytes& bytes() const { return m_buffer; }
    Bytes take() { return std::move(m_buffer); }

    void put_u8(uint8_t value)
    {
        if (room(1))
            m_buffer.push_back(value);
    }
    // Multi-byte values are written whole or not at all.
    void put_u16(uint16_t value)
    {
        const uint8_t bytes[] = { uint8_t(value >> 8), uint8_t(value) };
        put_bytes(bytes);
    }
    void put_u32(uint32_t value)
    {
        const uint8_t bytes[] = { uint8_t(value >> 24), uint8_t(value >> 16), uint8_t(value >> 8), uint8_t(value) };
        put_bytes(bytes);
    }
    void put_bytes(ByteSpan data)
    {
        if (room(data.size()))
            m_buffer.insert(m_buffer.end(), data.begin(), data.end());
    }
    void put_zeros(size_t count)
    {
        if (room(count))
            m_buffer.insert(m_buffer.end(), count, 0);
    }
    // Overwrites two bytes already written (lengths, checksums).
    void patch_u16(size_t offset, uint16_t value)
    {
        if (offset + 2 > m_buffer.size()) {
            m_overflow = true;
            return;
        }
        m_buffer[offset] = static_cast<uint8_t>(value >> 8);
        m_buffer[offset + 1] = static_cast<uint8_t>(value);
    }

private:
    bool room(size_t count)
    {
        if (m_overflow || count > m_limit - m_buffer.size()) {
            m_overflow = true;
            return false;
        }
        return true;
    }

    Bytes m_buffer;
    size_t m_limit;
    bool m_overflow { false };
};

}
