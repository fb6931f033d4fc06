// Verilator testbench for the generated accelerator (top module accel_top).
//
// Replays a binary stimulus file (DRAM contents, host writes of the registers and parameters,
// program runs, DRAM reads), writes the bytes read back to a binary output file and cycle counts
// to a JSON report. The engine's DRAM ports are served by a memory model: on the data port a read
// channel with a latency per burst, a bounded number of bursts in flight and a beat rate, and a
// write channel with the same beat rate and an acknowledgement per beat after a latency; the
// instruction port is a second read channel with the same timing, over the same memory (dram_model.h,
// shared with the board emulator). The C# side
// (Accel.Cosim.Verilator) writes the stimulus, builds this file together with the RTL and parses
// the results; the formats are documented in docs/formats.md.
//
// Usage: accel_tb --stimulus FILE --output FILE.bin --report FILE.json [--trace FILE.vcd]
//                 [--max-cycles N] [--dram-read-latency N] [--dram-write-latency N]
//                 [--dram-beats-per-cycle X] [--dram-outstanding N] [--progress]
// --progress prints "PROGRESS <compute instructions done> <cycle>" on stdout as they complete.
// Exit codes: 0 success, 1 internal failure (I/O), 2 usage or malformed stimulus,
//             3 a run hit its cycle limit, 4 the engine accessed DRAM outside the image
//             (the report and the output so far are still written).
//
// Timing: one clock = one cycle = a rising edge then a falling edge, one eval() each. Inputs change
// while the clock is low; outputs are sampled after the rising edge, so "cycle n" of a run means
// "after the n-th rising edge counted from the one that samples start_i".

#include "Vaccel_top.h"
#include "accel_config.h"
#include "dram_model.h"
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
#include <deque>
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
constexpr int kExitDram = 4;

constexpr std::uint32_t kHostWordBytes = ACCEL_HOST_BITS / 8;
constexpr std::uint32_t kBeatBytes = ACCEL_DRAM_BITS / 8;
constexpr int kResetCycles = 4;
constexpr char kMagic[8] = {'A', 'C', 'C', 'S', 'T', 'I', 'M', '2'};

// A mismatch between accel_config.h and the Verilog would silently truncate data; refuse to build.
static_assert(ACCEL_HOST_BITS >= 128 && ACCEL_HOST_BITS % 8 == 0, "ACCEL_HOST_BITS");
static_assert(ACCEL_ACT_BITS % 8 == 0, "ACCEL_ACT_BITS must be whole bytes");
static_assert(sizeof(std::remove_reference<decltype(std::declval<Vaccel_top>().host_wr_data_i)>::type)
                  == (ACCEL_HOST_BITS + 31) / 32 * 4,
              "host_wr_data_i width does not match ACCEL_HOST_BITS in accel_config.h");
static_assert(sizeof(std::remove_reference<decltype(std::declval<Vaccel_top>().dram_rd_data_i)>::type)
                  >= kBeatBytes,
              "dram_rd_data_i is narrower than ACCEL_DRAM_BITS in accel_config.h");

struct StimulusError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class Opcode : std::uint8_t { End = 0x00, Write = 0x01, Run = 0x02, DramWrite = 0x04, DramRead = 0x05, DramSize = 0x06 };

struct Command {
    Opcode op;
    std::uint8_t mem;
    std::uint64_t addr;
    std::uint32_t count;
    std::uint64_t maxCycles;
    const std::uint8_t* data;  // WRITE / DRAM_WRITE payload, inside the stimulus buffer
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
std::vector<Command> parseStimulus(const std::vector<std::uint8_t>& bytes, std::uint64_t& readBytes) {
    Cursor in(bytes);
    const std::uint8_t* magic = in.take(sizeof kMagic, "magic");
    if (std::memcmp(magic, kMagic, sizeof kMagic) != 0) {
        throw StimulusError("stimulus: bad magic" + at(0) + " (expected \"ACCSTIM2\")");
    }
    const std::size_t wordBytesOffset = in.offset();
    const std::uint32_t wordBytes = in.u32("hostWordBytes");
    if (wordBytes != kHostWordBytes) {
        throw StimulusError("stimulus: hostWordBytes is " + std::to_string(wordBytes) + at(wordBytesOffset)
                            + " but this build has ACCEL_HOST_BITS/8 = " + std::to_string(kHostWordBytes));
    }

    std::vector<Command> commands;
    readBytes = 0;
    std::uint64_t dramSize = 0;
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
                if (c.mem > 1) {
                    throw StimulusError("stimulus: WRITE mem " + std::to_string(c.mem) + " is not 0 (registers) or 1 (parameters)"
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
            case Opcode::DramSize:
                c.addr = in.u64("DRAM_SIZE bytes");
                dramSize = c.addr;
                break;
            case Opcode::DramWrite:
            case Opcode::DramRead: {
                const bool write = c.op == Opcode::DramWrite;
                c.addr = in.u64(write ? "DRAM_WRITE addr" : "DRAM_READ addr");
                c.count = in.u32(write ? "DRAM_WRITE count" : "DRAM_READ count");
                if (c.count > dramSize || c.addr > dramSize - c.count) {  // no wrap-around past 2^64
                    throw StimulusError(std::string("stimulus: ") + (write ? "DRAM_WRITE" : "DRAM_READ") + " of "
                                        + std::to_string(c.count) + " bytes at " + std::to_string(c.addr)
                                        + " lies outside the DRAM of " + std::to_string(dramSize)
                                        + " bytes (DRAM_SIZE must come first)" + at(start));
                }
                if (write) c.data = in.take(c.count, "DRAM_WRITE payload");
                else readBytes += c.count;
                break;
            }
            default: {
                char hex[8];
                std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(c.op));
                throw StimulusError(std::string("stimulus: unknown opcode ") + hex + at(start));
            }
        }
        commands.push_back(c);
    }
}

// One completion of a unit's instruction (0 load, 1 compute, 2 store). loadBusyCycles is the
// load unit's busy count at that cycle: consecutive load events give each load's busy time (for
// a sparse load, the decoding).
struct Event {
    std::uint8_t unit;
    std::uint64_t cycle;
    std::uint32_t activeCycles;
    std::uint32_t loadBusyCycles;
};

struct RunRecord {
    std::uint64_t cycles = 0;
    std::uint32_t activeCycles = 0;
    bool timedOut = false;
    std::vector<Event> events;
};

using accel::Dram;
using accel::DramError;
using accel::DramStats;
using accel::MemoryTiming;
using accel::setPort;
using Memory = accel::MemoryModel<Vaccel_top, kBeatBytes>;

class Bench {
  public:
    Bench(VerilatedContext* ctx, Vaccel_top* top, Dram& dram, MemoryTiming timing, bool progress)
        : ctx_(ctx), top_(top), memory_(dram, timing, /*strict=*/true), progress_(progress) {}

#if VM_TRACE
    void attachTrace(VerilatedVcdC* trace) { trace_ = trace; }
#endif

    std::uint64_t cycles() const { return cycles_; }
    const DramStats& stats() const { return memory_.stats(); }

    void reset() {
        top_->clk_i = 0;
        top_->rst_ni = 0;
        top_->host_wr_en_i = 0;
        top_->start_i = 0;
        memory_.idle(*top_);
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
            top_->host_wr_addr_i = static_cast<std::uint32_t>(c.addr) + k;
            setPort(top_->host_wr_data_i, c.data + static_cast<std::size_t>(k) * kHostWordBytes, kHostWordBytes);
            tick();
        }
        top_->host_wr_en_i = 0;
    }

    // Returns false when the limit passed before done_o.
    bool run(std::uint64_t limit, RunRecord& record) {
        top_->start_i = 1;
        std::uint64_t computeDone = 0;
        for (std::uint64_t cycle = 1;; ++cycle) {
            tick();
            top_->start_i = 0;
            const std::uint8_t done[3] = {top_->load_done_o, top_->compute_done_o, top_->store_done_o};
            for (std::uint8_t u = 0; u < 3; ++u) {
                if (!done[u]) continue;
                record.events.push_back({u, cycle, top_->active_cycles_o, top_->load_busy_cycles_o});
                if (u == 1 && progress_) {
                    std::printf("PROGRESS %" PRIu64 " %" PRIu64 "\n", ++computeDone, cycle);
                    std::fflush(stdout);
                }
            }
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
    // Inputs for this cycle are set while the clock is low; the handshakes they complete are
    // taken after eval(), before the rising edge that registers them in the engine.
    void tick() {
        memory_.serve(*top_, cycles_);
        top_->eval();
        memory_.accept(*top_, cycles_);
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
    Memory memory_;
    bool progress_;
#if VM_TRACE
    VerilatedVcdC* trace_ = nullptr;
#endif
    std::uint64_t cycles_ = 0;
    bool warnedBusy_ = false;
};

struct Options {
    std::string stimulus, output, report, trace;
    std::uint64_t maxCycles = UINT64_MAX;
    MemoryTiming timing;
    bool progress = false;
};

bool parseCount(const std::string& arg, const std::string& value, std::uint64_t max, std::uint64_t& out, std::string& error) {
    char* end = nullptr;
    out = std::strtoull(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || out == 0 || out > max) {
        error = arg + " needs an integer in 1.." + std::to_string(max) + ", got '" + value + "'";
        return false;
    }
    return true;
}

bool parseOptions(int argc, char** argv, Options& o, std::string& error) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (!arg.empty() && arg[0] == '+') continue;  // +verilator+... options, for VerilatedContext
        if (arg == "--progress") {
            o.progress = true;
            continue;
        }
        if (arg != "--stimulus" && arg != "--output" && arg != "--report" && arg != "--trace" && arg != "--max-cycles"
            && arg != "--dram-read-latency" && arg != "--dram-write-latency" && arg != "--dram-beats-per-cycle"
            && arg != "--dram-outstanding") {
            error = "unknown option " + arg;
            return false;
        }
        if (i + 1 >= argc) {
            error = "missing value after " + arg;
            return false;
        }
        const std::string value = argv[++i];
        std::uint64_t n = 0;
        if (arg == "--stimulus") o.stimulus = value;
        else if (arg == "--output") o.output = value;
        else if (arg == "--report") o.report = value;
        else if (arg == "--trace") o.trace = value;
        else if (arg == "--max-cycles") {
            if (!parseCount(arg, value, UINT64_MAX, o.maxCycles, error)) return false;
        } else if (arg == "--dram-read-latency") {
            if (!parseCount(arg, value, 100000, o.timing.readLatency, error)) return false;
        } else if (arg == "--dram-write-latency") {
            if (!parseCount(arg, value, 100000, o.timing.writeLatency, error)) return false;
        } else if (arg == "--dram-outstanding") {
            if (!parseCount(arg, value, 64, n, error)) return false;
            o.timing.outstanding = static_cast<std::size_t>(n);
        } else {
            char* end = nullptr;
            o.timing.beatsPerCycle = std::strtod(value.c_str(), &end);
            if (value.empty() || *end != '\0' || !(o.timing.beatsPerCycle > 0 && o.timing.beatsPerCycle <= 1)) {
                error = "--dram-beats-per-cycle needs a number in (0, 1], got '" + value + "'";
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
                 double wallSeconds, const DramStats& dram, const MemoryTiming& timing) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) return false;
    std::fprintf(f, "{\"configHash\": %s, \"rows\": %d, \"cols\": %d, \"hostWordBytes\": %u, \"dramBeatBytes\": %u,\n",
                 jsonString(ACCEL_CONFIG_HASH).c_str(), static_cast<int>(ACCEL_ROWS), static_cast<int>(ACCEL_COLS),
                 kHostWordBytes, kBeatBytes);
    std::fprintf(f, " \"memory\": {\"readLatency\": %" PRIu64 ", \"writeLatency\": %" PRIu64 ", \"beatsPerCycle\": %.6f, \"outstanding\": %zu},\n",
                 timing.readLatency, timing.writeLatency, timing.beatsPerCycle, timing.outstanding);
    std::fprintf(f, " \"dram\": {\"readRequests\": %" PRIu64 ", \"readBeats\": %" PRIu64 ", \"writeBeats\": %" PRIu64
                    ", \"insnReadRequests\": %" PRIu64 ", \"insnReadBeats\": %" PRIu64 "},\n",
                 dram.readRequests, dram.readBeats, dram.writeBeats, dram.insnReadRequests, dram.insnReadBeats);
    std::fprintf(f, " \"runs\": [");
    for (std::size_t r = 0; r < runs.size(); ++r) {
        const RunRecord& run = runs[r];
        std::fprintf(f, "%s\n  {\"cycles\": %" PRIu64 ", \"activeCycles\": %u, \"timedOut\": %s, \"events\": [",
                     r ? "," : "", run.cycles, run.activeCycles, run.timedOut ? "true" : "false");
        for (std::size_t i = 0; i < run.events.size(); ++i) {
            std::fprintf(f, "%s{\"unit\": %u, \"cycle\": %" PRIu64 ", \"activeCycles\": %u, \"loadBusyCycles\": %u}", i ? ", " : "",
                         static_cast<unsigned>(run.events[i].unit), run.events[i].cycle, run.events[i].activeCycles,
                         run.events[i].loadBusyCycles);
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
                     "[--trace FILE.vcd] [--max-cycles N] [--dram-read-latency N] [--dram-write-latency N] "
                     "[--dram-beats-per-cycle X] [--dram-outstanding N] [--progress]\n",
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
    std::uint64_t readBytes = 0;
    try {
        commands = parseStimulus(stimulus, readBytes);
    } catch (const StimulusError& e) {
        std::fprintf(stderr, "accel_tb: %s: %s\n", options.stimulus.c_str(), e.what());
        return kExitUsage;
    }

    const auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    const auto top = std::make_unique<Vaccel_top>(ctx.get(), "TOP");
    Dram dram;
    Bench bench(ctx.get(), top.get(), dram, options.timing, options.progress);

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
    std::vector<std::uint8_t> output(static_cast<std::size_t>(readBytes));
    std::size_t outputUsed = 0;
    std::vector<RunRecord> runs;
    bool timedOut = false, dramFault = false;

    try {
        bench.reset();
        for (const Command& c : commands) {
            if (c.op == Opcode::Write) {
                bench.write(c);
            } else if (c.op == Opcode::DramSize) {
                dram.resize(c.addr);
            } else if (c.op == Opcode::DramWrite) {
                std::memcpy(dram.at(c.addr, c.count, "DRAM_WRITE"), c.data, c.count);
            } else if (c.op == Opcode::DramRead) {
                std::memcpy(output.data() + outputUsed, dram.at(c.addr, c.count, "DRAM_READ"), c.count);
                outputUsed += c.count;
            } else if (c.op == Opcode::Run) {
                // --max-cycles bounds the whole simulation, on top of each run's own limit.
                const std::uint64_t left = options.maxCycles > bench.cycles() ? options.maxCycles - bench.cycles() : 1;
                const std::uint64_t limit = c.maxCycles < left ? c.maxCycles : left;
                runs.emplace_back();
                if (!bench.run(limit, runs.back())) {
                    std::fprintf(stderr, "accel_tb: run %zu did not reach done_o within %" PRIu64 " cycles\n",
                                 runs.size(), limit);
                    timedOut = true;
                    break;
                }
            }
        }
    } catch (const DramError& e) {
        std::fprintf(stderr, "accel_tb: cycle %" PRIu64 ": %s\n", bench.cycles(), e.what());
        dramFault = true;
    }
    top->final();
#if VM_TRACE
    if (trace) trace->close();
#endif

    const double wallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();
    bool written = writeOutput(options.output, output, outputUsed);
    written = writeReport(options.report, runs, bench.cycles(), wallSeconds, bench.stats(), options.timing) && written;
    if (!written) {
        std::fprintf(stderr, "accel_tb: cannot write %s or %s\n", options.output.c_str(), options.report.c_str());
        return kExitFailure;
    }
    return dramFault ? kExitDram : timedOut ? kExitTimeout : 0;
}
