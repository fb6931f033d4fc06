// Verilator testbench for the generated accelerator (top module accel_top).
//
// Replays a binary stimulus file (host writes, program runs, host reads), writes the words read
// back to a binary output file and cycle counts to a JSON report. The C# side
// (Accel.Cosim.Verilator) writes the stimulus, builds this file together with the RTL and parses
// the results; the formats are documented there (StimulusWriter, HarnessReport, HarnessOutput).
//
// Usage: accel_tb --stimulus FILE --output FILE.bin --report FILE.json
//                 [--trace FILE.vcd] [--max-cycles N]
// Exit codes: 0 success, 1 internal failure (I/O), 2 usage or malformed stimulus,
//             3 a run hit its cycle limit (the report and the output so far are still written).
//
// Timing: one clock = one cycle = a rising edge then a falling edge, one eval() each. Inputs change
// while the clock is low; outputs are sampled after the rising edge, so "cycle n" of a run means
// "after the n-th rising edge counted from the one that samples start_i".

#include "Vaccel_top.h"
#include "accel_config.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitTimeout = 3;

constexpr std::uint32_t kHostWordBytes = ACCEL_HOST_BITS / 8;
constexpr std::uint32_t kActWordBytes = ACCEL_ACT_BITS / 8;
constexpr int kResetCycles = 4;
constexpr char kMagic[8] = {'A', 'C', 'C', 'S', 'T', 'I', 'M', '1'};

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

// A mismatch between accel_config.h and the Verilog would silently truncate data; refuse to build.
static_assert(ACCEL_HOST_BITS >= 128 && ACCEL_HOST_BITS % 8 == 0, "ACCEL_HOST_BITS");
static_assert(ACCEL_ACT_BITS % 8 == 0, "ACCEL_ACT_BITS must be whole bytes");
static_assert(sizeof(std::remove_reference<decltype(std::declval<Vaccel_top>().host_wr_data_i)>::type)
                  == (ACCEL_HOST_BITS + 31) / 32 * 4,
              "host_wr_data_i width does not match ACCEL_HOST_BITS in accel_config.h");
static_assert(sizeof(std::remove_reference<decltype(std::declval<Vaccel_top>().host_rd_data_o)>::type)
                  >= kActWordBytes,
              "host_rd_data_o is narrower than ACCEL_ACT_BITS in accel_config.h");

struct StimulusError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class Opcode : std::uint8_t { End = 0x00, Write = 0x01, Run = 0x02, Read = 0x03 };

struct Command {
    Opcode op;
    std::uint8_t mem;
    std::uint32_t addr;
    std::uint32_t count;
    std::uint64_t maxCycles;
    const std::uint8_t* data;  // WRITE payload, inside the stimulus buffer
};

// Reads little-endian fields, naming the byte offset of whatever is missing or wrong.
class Cursor {
  public:
    explicit Cursor(const std::vector<std::uint8_t>& bytes) : bytes_(bytes) {}

    std::size_t offset() const { return pos_; }
    std::size_t remaining() const { return bytes_.size() - pos_; }

    const std::uint8_t* take(std::size_t count, const char* what) {
        if (count > remaining()) {
            throw StimulusError("stimulus truncated at byte offset " + std::to_string(pos_) + ": "
                                + what + " needs " + std::to_string(count) + " bytes, "
                                + std::to_string(remaining()) + " left");
        }
        const std::uint8_t* p = bytes_.data() + pos_;
        pos_ += count;
        return p;
    }

    std::uint8_t u8(const char* what) { return *take(1, what); }

    std::uint32_t u32(const char* what) {
        const std::uint8_t* p = take(4, what);
        return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8
               | static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
    }

    std::uint64_t u64(const char* what) {
        const std::uint64_t low = u32(what);
        const std::uint64_t high = u32(what);
        return low | high << 32;
    }

  private:
    const std::vector<std::uint8_t>& bytes_;
    std::size_t pos_ = 0;
};

std::string at(std::size_t offset) { return " at byte offset " + std::to_string(offset); }

// Parses the whole file before simulating so a malformed tail fails fast, not after a long run.
std::vector<Command> parseStimulus(const std::vector<std::uint8_t>& bytes, std::uint64_t& readWords) {
    Cursor in(bytes);
    const std::uint8_t* magic = in.take(sizeof kMagic, "magic");
    if (std::memcmp(magic, kMagic, sizeof kMagic) != 0) {
        throw StimulusError("stimulus: bad magic" + at(0) + " (expected \"ACCSTIM1\")");
    }
    const std::size_t wordBytesOffset = in.offset();
    const std::uint32_t wordBytes = in.u32("hostWordBytes");
    if (wordBytes != kHostWordBytes) {
        throw StimulusError("stimulus: hostWordBytes is " + std::to_string(wordBytes) + at(wordBytesOffset)
                            + " but this build has ACCEL_HOST_BITS/8 = " + std::to_string(kHostWordBytes));
    }

    std::vector<Command> commands;
    readWords = 0;
    for (;;) {
        const std::size_t start = in.offset();
        Command c{};
        c.op = static_cast<Opcode>(in.u8("opcode (stimulus must end with END)"));
        switch (c.op) {
            case Opcode::End:
                if (in.remaining() != 0) {
                    throw StimulusError("stimulus: " + std::to_string(in.remaining())
                                        + " unexpected bytes after END" + at(in.offset()));
                }
                return commands;
            case Opcode::Write: {
                c.mem = in.u8("WRITE mem");
                if (c.mem > 3) {
                    throw StimulusError("stimulus: WRITE mem " + std::to_string(c.mem) + " is not 0..3"
                                        + at(start + 1));
                }
                c.addr = in.u32("WRITE addr");
                c.count = in.u32("WRITE count");
                c.data = in.take(static_cast<std::size_t>(c.count) * kHostWordBytes, "WRITE payload");
                break;
            }
            case Opcode::Run:
                c.maxCycles = in.u64("RUN maxCycles");
                if (c.maxCycles == 0) throw StimulusError("stimulus: RUN maxCycles is 0" + at(start + 1));
                break;
            case Opcode::Read:
                c.addr = in.u32("READ addr");
                c.count = in.u32("READ count");
                readWords += c.count;
                break;
            default: {
                char hex[8];
                std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(c.op));
                throw StimulusError(std::string("stimulus: unknown opcode ") + hex + at(start));
            }
        }
        commands.push_back(c);
    }
}

struct Retirement {
    std::uint64_t cycle;
    std::uint32_t activeCycles;
};

struct RunRecord {
    std::uint64_t cycles = 0;
    std::uint32_t activeCycles = 0;
    bool timedOut = false;
    std::vector<Retirement> retirements;
};

class Bench {
  public:
    Bench(VerilatedContext* ctx, Vaccel_top* top) : ctx_(ctx), top_(top) {}

#if VM_TRACE
    void attachTrace(VerilatedVcdC* trace) { trace_ = trace; }
#endif

    std::uint64_t cycles() const { return cycles_; }

    void reset() {
        top_->clk_i = 0;
        top_->rst_ni = 0;
        top_->host_wr_en_i = 0;
        top_->host_rd_en_i = 0;
        top_->start_i = 0;
        top_->eval();
        dump();
        for (int i = 0; i < kResetCycles; ++i) tick();
        top_->rst_ni = 1;
    }

    void write(const Command& c) {
        warnIfBusy("WRITE");
        top_->host_wr_en_i = 1;
        top_->host_wr_mem_i = c.mem;
        for (std::uint32_t k = 0; k < c.count; ++k) {
            top_->host_wr_addr_i = c.addr + k;
            setPort(top_->host_wr_data_i, c.data + static_cast<std::size_t>(k) * kHostWordBytes, kHostWordBytes);
            tick();
        }
        top_->host_wr_en_i = 0;
    }

    // Appends count words to out (pre-sized by the caller, so no allocation per word).
    void read(const Command& c, std::uint8_t* out) {
        warnIfBusy("READ");
        top_->host_rd_en_i = 1;
        for (std::uint32_t k = 0; k < c.count; ++k) {
            top_->host_rd_addr_i = c.addr + k;
            tick();  // the word is registered on this edge: valid "the cycle after"
            getPort(top_->host_rd_data_o, out + static_cast<std::size_t>(k) * kActWordBytes, kActWordBytes);
        }
        top_->host_rd_en_i = 0;
    }

    // Returns false when the limit passed before done_o.
    bool run(std::uint64_t limit, RunRecord& record) {
        top_->start_i = 1;
        for (std::uint64_t cycle = 1;; ++cycle) {
            tick();
            top_->start_i = 0;
            if (top_->insn_retire_o) record.retirements.push_back({cycle, top_->active_cycles_o});
            if (top_->done_o) {
                record.cycles = cycle;
                record.activeCycles = top_->active_cycles_o;
                return true;
            }
            if (cycle >= limit) {
                record.cycles = cycle;
                record.activeCycles = top_->active_cycles_o;
                record.timedOut = true;
                return false;
            }
        }
    }

  private:
    void tick() {
        top_->clk_i = 1;
        top_->eval();
        dump();
        top_->clk_i = 0;
        top_->eval();
        dump();
        ++cycles_;
    }

    void dump() {
        ctx_->timeInc(1);
#if VM_TRACE
        if (trace_) trace_->dump(ctx_->time());
#endif
    }

    void warnIfBusy(const char* what) {
        if (top_->busy_o && !warnedBusy_) {
            std::fprintf(stderr, "accel_tb: warning: %s while busy_o is high (cycle %" PRIu64 ")\n", what, cycles_);
            warnedBusy_ = true;
        }
    }

    VerilatedContext* ctx_;
    Vaccel_top* top_;
#if VM_TRACE
    VerilatedVcdC* trace_ = nullptr;
#endif
    std::uint64_t cycles_ = 0;
    bool warnedBusy_ = false;
};

struct Options {
    std::string stimulus, output, report, trace;
    std::uint64_t maxCycles = UINT64_MAX;
};

bool parseOptions(int argc, char** argv, Options& o, std::string& error) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (!arg.empty() && arg[0] == '+') continue;  // +verilator+... options, for VerilatedContext
        if (arg != "--stimulus" && arg != "--output" && arg != "--report" && arg != "--trace"
            && arg != "--max-cycles") {
            error = "unknown option " + arg;
            return false;
        }
        if (i + 1 >= argc) {
            error = "missing value after " + arg;
            return false;
        }
        const std::string value = argv[++i];
        if (arg == "--stimulus") o.stimulus = value;
        else if (arg == "--output") o.output = value;
        else if (arg == "--report") o.report = value;
        else if (arg == "--trace") o.trace = value;
        else {
            char* end = nullptr;
            o.maxCycles = std::strtoull(value.c_str(), &end, 10);
            if (value.empty() || *end != '\0' || o.maxCycles == 0) {
                error = "--max-cycles needs a positive integer, got '" + value + "'";
                return false;
            }
        }
    }
    if (o.stimulus.empty() || o.output.empty() || o.report.empty()) {
        error = "--stimulus, --output and --report are required";
        return false;
    }
    return true;
}

bool readFile(const std::string& path, std::vector<std::uint8_t>& bytes) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return false;
    const std::streamsize size = in.tellg();
    if (size < 0) return false;
    bytes.resize(static_cast<std::size_t>(size));
    in.seekg(0);
    return size == 0 || static_cast<bool>(in.read(reinterpret_cast<char*>(bytes.data()), size));
}

std::string jsonString(const char* text) {
    std::string s = "\"";
    for (const char* p = text; *p; ++p) {
        const unsigned char ch = static_cast<unsigned char>(*p);
        if (ch == '"' || ch == '\\') {
            s += '\\';
            s += static_cast<char>(ch);
        } else if (ch < 0x20) {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\u%04x", ch);
            s += esc;
        } else {
            s += static_cast<char>(ch);
        }
    }
    return s + "\"";
}

bool writeReport(const std::string& path, const std::vector<RunRecord>& runs, std::uint64_t totalCycles,
                 double wallSeconds) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) return false;
    std::fprintf(f, "{\"configHash\": %s, \"rows\": %d, \"cols\": %d, \"hostWordBytes\": %u, \"actWordBytes\": %u,\n",
                 jsonString(ACCEL_CONFIG_HASH).c_str(), static_cast<int>(ACCEL_ROWS), static_cast<int>(ACCEL_COLS),
                 kHostWordBytes, kActWordBytes);
    std::fprintf(f, " \"runs\": [");
    for (std::size_t r = 0; r < runs.size(); ++r) {
        const RunRecord& run = runs[r];
        std::fprintf(f, "%s\n  {\"cycles\": %" PRIu64 ", \"activeCycles\": %u, \"timedOut\": %s, \"instructions\": [",
                     r ? "," : "", run.cycles, run.activeCycles, run.timedOut ? "true" : "false");
        for (std::size_t i = 0; i < run.retirements.size(); ++i) {
            std::fprintf(f, "%s{\"retireCycle\": %" PRIu64 ", \"activeCycles\": %u}", i ? ", " : "",
                         run.retirements[i].cycle, run.retirements[i].activeCycles);
        }
        std::fprintf(f, "]}");
    }
    std::fprintf(f, "%s],\n \"totalSimCycles\": %" PRIu64 ", \"wallSeconds\": %.3f}\n", runs.empty() ? "" : "\n ",
                 totalCycles, wallSeconds);
    return std::fclose(f) == 0;
}

bool writeOutput(const std::string& path, const std::vector<std::uint8_t>& bytes, std::size_t used) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(used));
    return static_cast<bool>(out.flush());
}

}  // namespace

int main(int argc, char** argv) {
    const auto wallStart = std::chrono::steady_clock::now();

    Options options;
    std::string error;
    if (!parseOptions(argc, argv, options, error)) {
        std::fprintf(stderr,
                     "accel_tb: %s\nusage: accel_tb --stimulus FILE --output FILE.bin --report FILE.json "
                     "[--trace FILE.vcd] [--max-cycles N]\n",
                     error.c_str());
        return kExitUsage;
    }
#if !VM_TRACE
    if (!options.trace.empty()) {
        std::fprintf(stderr, "accel_tb: --trace asked for, but this build has no tracing (rebuild with --trace)\n");
        return kExitUsage;
    }
#endif

    std::vector<std::uint8_t> stimulus;
    if (!readFile(options.stimulus, stimulus)) {
        std::fprintf(stderr, "accel_tb: cannot read stimulus file %s\n", options.stimulus.c_str());
        return kExitUsage;
    }
    std::vector<Command> commands;
    std::uint64_t readWords = 0;
    try {
        commands = parseStimulus(stimulus, readWords);
    } catch (const StimulusError& e) {
        std::fprintf(stderr, "accel_tb: %s: %s\n", options.stimulus.c_str(), e.what());
        return kExitUsage;
    }

    const auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    const auto top = std::make_unique<Vaccel_top>(ctx.get(), "TOP");
    Bench bench(ctx.get(), top.get());

#if VM_TRACE
    std::unique_ptr<VerilatedVcdC> trace;
    if (!options.trace.empty()) {
        ctx->traceEverOn(true);
        trace = std::make_unique<VerilatedVcdC>();
        top->trace(trace.get(), 99);
        trace->open(options.trace.c_str());
        if (!trace->isOpen()) {
            std::fprintf(stderr, "accel_tb: cannot open trace file %s\n", options.trace.c_str());
            return kExitFailure;
        }
        bench.attachTrace(trace.get());
    }
#endif

    // Sized once from the stimulus so reads never reallocate.
    std::vector<std::uint8_t> output(static_cast<std::size_t>(readWords) * kActWordBytes);
    std::size_t outputUsed = 0;
    std::vector<RunRecord> runs;
    bool timedOut = false;

    bench.reset();
    for (const Command& c : commands) {
        if (c.op == Opcode::Write) {
            bench.write(c);
        } else if (c.op == Opcode::Read) {
            bench.read(c, output.data() + outputUsed);
            outputUsed += static_cast<std::size_t>(c.count) * kActWordBytes;
        } else if (c.op == Opcode::Run) {
            // --max-cycles bounds the whole simulation, on top of each run's own limit.
            const std::uint64_t left = options.maxCycles > bench.cycles() ? options.maxCycles - bench.cycles() : 1;
            const std::uint64_t limit = c.maxCycles < left ? c.maxCycles : left;
            runs.emplace_back();
            if (!bench.run(limit, runs.back())) {
                std::fprintf(stderr, "accel_tb: run %zu did not reach done_o within %" PRIu64 " cycles\n", runs.size(),
                             limit);
                timedOut = true;
                break;
            }
        }
    }
    top->final();
#if VM_TRACE
    if (trace) trace->close();
#endif

    const double wallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();
    bool written = writeOutput(options.output, output, outputUsed);
    written = writeReport(options.report, runs, bench.cycles(), wallSeconds) && written;
    if (!written) {
        std::fprintf(stderr, "accel_tb: cannot write %s or %s\n", options.output.c_str(), options.report.c_str());
        return kExitFailure;
    }
    return timedOut ? kExitTimeout : 0;
}
