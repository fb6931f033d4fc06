// The memory model behind the engine's DRAM and instruction ports, shared by the cosim testbench
// (accel_tb.cpp, top accel_top) and the board emulator (board_emu.cpp, tops accel_board_uart and
// accel_board_xdma): all three have the same port names and shapes (docs/engine.md "Ports").
//
// On the data port a read channel with a latency per burst, a bounded number of bursts in flight
// and a beat rate, and a write channel with the same beat rate and an acknowledgement per beat after
// a latency; the instruction port is a second read channel with the same timing over the same
// memory. A top with dram_wr_strb_o (the board tops) writes only the bytes whose strobe is set.
//
// Timing: serve() sets the model's inputs for this cycle while the clock is low, accept() takes the
// handshakes after eval(), before the rising edge that registers them; the caller passes the cycle
// number (rising edges since start) to both.

#pragma once

#include "verilated.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace accel {

// The port types depend on the widths: a Verilator port is a plain integer up to 64 bits and a
// VlWide (array of 32-bit words) above. Bytes are little-endian: byte i holds bits [8i+7:8i].
template <typename T>
void setPort(T& port, const std::uint8_t* bytes, std::size_t count) {
    static_assert(std::is_integral<T>::value, "plain ports are integers");
    T value = 0;
    for (std::size_t i = 0; i < count && i < sizeof(T); ++i) {
        value |= static_cast<T>(static_cast<T>(bytes[i]) << (8 * i));
    }
    port = value;
}

template <std::size_t Words>
void setPort(VlWide<Words>& port, const std::uint8_t* bytes, std::size_t count) {
    for (std::size_t w = 0; w < Words; ++w) {
        EData value = 0;
        for (std::size_t b = 0; b < 4; ++b) {
            const std::size_t i = 4 * w + b;
            if (i < count) value |= static_cast<EData>(bytes[i]) << (8 * b);
        }
        port[w] = value;
    }
}

template <typename T>
void getPort(const T& port, std::uint8_t* bytes, std::size_t count) {
    static_assert(std::is_integral<T>::value, "plain ports are integers");
    for (std::size_t i = 0; i < count; ++i) {
        bytes[i] = i < sizeof(T) ? static_cast<std::uint8_t>(port >> (8 * i)) : 0;
    }
}

template <std::size_t Words>
void getPort(const VlWide<Words>& port, std::uint8_t* bytes, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        bytes[i] = i / 4 < Words ? static_cast<std::uint8_t>(port[i / 4] >> (8 * (i % 4))) : 0;
    }
}

struct MemoryTiming {
    std::uint64_t readLatency = 32;
    std::uint64_t writeLatency = 16;
    double beatsPerCycle = 1.0;
    std::size_t outstanding = 8;
};

struct DramStats {
    std::uint64_t readRequests = 0, readBeats = 0, writeBeats = 0;
    std::uint64_t insnReadRequests = 0, insnReadBeats = 0;
    std::uint64_t outOfRange = 0;  // accesses outside the memory (non-strict models only)
};

struct DramError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The memory behind the DRAM port: byte-addressed, little-endian beats.
class Dram {
  public:
    void resize(std::uint64_t bytes) { bytes_.assign(static_cast<std::size_t>(bytes), 0); }
    std::uint64_t size() const { return bytes_.size(); }
    bool contains(std::uint64_t addr, std::uint64_t count) const {
        return count <= bytes_.size() && addr <= bytes_.size() - count;
    }
    std::uint8_t* at(std::uint64_t addr, std::uint64_t count, const char* what) {
        if (!contains(addr, count)) {
            throw DramError(std::string(what) + " of " + std::to_string(count) + " bytes at address "
                            + std::to_string(addr) + " lies outside the DRAM image of " + std::to_string(bytes_.size())
                            + " bytes");
        }
        return bytes_.data() + addr;
    }

  private:
    std::vector<std::uint8_t> bytes_;
};

// Whether the top has byte strobes on its write channel (the board tops do, accel_top does not).
template <typename Top, typename = void>
struct HasWriteStrobe : std::false_type {};
template <typename Top>
struct HasWriteStrobe<Top, std::void_t<decltype(std::declval<Top&>().dram_wr_strb_o)>> : std::true_type {};

// BeatBytes is ACCEL_DRAM_BITS / 8. A strict model throws DramError on an access outside the
// memory (the testbench reports it and stops); a lenient one reads zeros, drops the write and
// counts it (a board does not stop, the emulator keeps serving the link).
template <typename Top, std::uint32_t BeatBytes>
class MemoryModel {
  public:
    MemoryModel(Dram& dram, MemoryTiming timing, bool strict) : dram_(dram), timing_(timing), strict_(strict) {}

    const DramStats& stats() const { return stats_; }
    const MemoryTiming& timing() const { return timing_; }

    // Nothing in flight: no burst being served or waiting, no acknowledgement owed.
    bool quiet() const { return data_.bursts.empty() && insn_.bursts.empty() && acks_.empty(); }

    // A reset of the design: requests in flight are forgotten (their data never arrives), the
    // memory keeps its contents.
    void dropInFlight() {
        data_.bursts.clear();
        data_.beat = 0;
        insn_.bursts.clear();
        insn_.beat = 0;
        acks_.clear();
    }

    // Ports driven with nothing happening (during a reset, before the first cycle).
    void idle(Top& top) {
        top.dram_rd_req_ready_i = 0;
        top.dram_rd_valid_i = 0;
        top.insn_rd_req_ready_i = 0;
        top.insn_rd_valid_i = 0;
        top.dram_wr_ready_i = 0;
        top.dram_wr_ack_i = 0;
    }

    void serve(Top& top, std::uint64_t cycle) {
        writeTokens_ = std::min(1.0, writeTokens_ + timing_.beatsPerCycle);
        top.dram_rd_valid_i = serveRead(data_, top.dram_rd_data_i, cycle);
        top.insn_rd_valid_i = serveRead(insn_, top.insn_rd_data_i, cycle);
        top.dram_rd_req_ready_i = data_.bursts.size() < timing_.outstanding;
        top.insn_rd_req_ready_i = insn_.bursts.size() < timing_.outstanding;
        top.dram_wr_ready_i = writeTokens_ >= 1.0;
        top.dram_wr_ack_i = 0;
        if (!acks_.empty() && acks_.front() <= cycle) {
            acks_.pop_front();
            top.dram_wr_ack_i = 1;
        }
    }

    void accept(Top& top, std::uint64_t cycle) {
        if (top.dram_rd_req_valid_o && top.dram_rd_req_ready_i) {
            acceptRead(data_, top.dram_rd_req_addr_o, top.dram_rd_req_beats_o, cycle);
        }
        if (top.insn_rd_req_valid_o && top.insn_rd_req_ready_i) {
            acceptRead(insn_, top.insn_rd_req_addr_o, top.insn_rd_req_beats_o, cycle);
        }
        if (top.dram_wr_valid_o && top.dram_wr_ready_i) {
            acceptWrite(top);
            writeTokens_ -= 1.0;
            acks_.push_back(cycle + timing_.writeLatency);
            ++stats_.writeBeats;
        }
    }

  private:
    struct ReadBurst {
        std::uint64_t addr;
        std::uint32_t beats;
        std::uint64_t firstBeat;
    };

    // One read channel: bursts in order, each a latency after its request, then a beat per token.
    struct ReadChannel {
        const char* name;
        const char* requestName;
        std::deque<ReadBurst> bursts;
        std::uint32_t beat = 0;
        double tokens = 0;
        std::uint64_t* requests;
        std::uint64_t* beats;
    };

    // Drives one beat (or none) of the channel's head burst; returns whether it did.
    template <typename Data>
    bool serveRead(ReadChannel& ch, Data& data, std::uint64_t cycle) {
        ch.tokens = std::min(1.0, ch.tokens + timing_.beatsPerCycle);
        if (ch.bursts.empty() || ch.bursts.front().firstBeat > cycle || ch.tokens < 1.0) return false;
        ReadBurst& head = ch.bursts.front();
        const std::uint64_t addr = head.addr + static_cast<std::uint64_t>(ch.beat) * BeatBytes;
        if (strict_ || dram_.contains(addr, BeatBytes)) {
            setPort(data, dram_.at(addr, BeatBytes, ch.name), BeatBytes);
        } else {
            static const std::uint8_t zeros[BeatBytes] = {};
            setPort(data, zeros, BeatBytes);
            ++stats_.outOfRange;
        }
        ch.tokens -= 1.0;
        ++*ch.beats;
        if (++ch.beat == head.beats) {
            ch.bursts.pop_front();
            ch.beat = 0;
        }
        return true;
    }

    void acceptRead(ReadChannel& ch, std::uint64_t addr, std::uint32_t beats, std::uint64_t cycle) {
        if (beats == 0) {
            if (strict_) throw DramError(std::string(ch.requestName) + " of 0 beats at address " + std::to_string(addr));
            ++stats_.outOfRange;
            return;
        }
        // A strict model refuses the request at once; a lenient one serves zeros beat by beat.
        if (strict_) dram_.at(addr, static_cast<std::uint64_t>(beats) * BeatBytes, ch.requestName);
        ch.bursts.push_back({addr, beats, cycle + timing_.readLatency});
        ++*ch.requests;
    }

    void acceptWrite(Top& top) {
        const std::uint64_t addr = top.dram_wr_addr_o;
        if (!strict_ && !dram_.contains(addr, BeatBytes)) {
            ++stats_.outOfRange;
            return;
        }
        std::uint8_t* target = dram_.at(addr, BeatBytes, "a DRAM write");
        if constexpr (HasWriteStrobe<Top>::value) {
            std::uint8_t beat[BeatBytes];
            std::uint8_t strobe[(BeatBytes + 7) / 8];
            getPort(top.dram_wr_data_o, beat, BeatBytes);
            getPort(top.dram_wr_strb_o, strobe, sizeof strobe);
            for (std::uint32_t i = 0; i < BeatBytes; ++i) {
                if (strobe[i / 8] >> (i % 8) & 1) target[i] = beat[i];
            }
        } else {
            getPort(top.dram_wr_data_o, target, BeatBytes);
        }
    }

    Dram& dram_;
    MemoryTiming timing_;
    bool strict_;
    DramStats stats_;
    ReadChannel data_{"a DRAM read", "a DRAM read request", {}, 0, 0, &stats_.readRequests, &stats_.readBeats};
    ReadChannel insn_{"an instruction fetch", "an instruction fetch request", {}, 0, 0, &stats_.insnReadRequests,
                      &stats_.insnReadBeats};
    std::deque<std::uint64_t> acks_;
    double writeTokens_ = 0;
};

}  // namespace accel
