// The emulated board: the board RTL (top accel_board_uart, or accel_board_xdma in an XDMA build)
// under Verilator, its DRAM and instruction ports served by the memory model of the cosim
// testbench (dram_model.h), its link bridged to the host:
//
//   accel_board_emu --pty [--link-file PATH]        a pseudo-terminal; prints "PTY /dev/pts/N"
//   accel_board_emu --script IN --script-out OUT     host bytes from a file, board bytes to a file
//   accel_board_emu --xdma DIR                       FIFOs DIR/xdma0_h2c_0, DIR/xdma0_c2h_0 and the
//                                                    register mirror DIR/xdma0_user; prints "XDMA DIR/xdma0"
//
// Options: --seed S, --drop P, --duplicate P,
// --corrupt P, --delay P, --delay-us U (per-byte faults both ways), --reset-after-bytes N[,N...],
// --dram-bytes N, --stats FILE, --max-seconds N, --host-time (below), --trace FILE (traced builds), and the memory
// timing of accel_tb (--dram-read-latency N, --dram-write-latency N, --dram-beats-per-cycle X,
// --dram-outstanding N). The interactive modes exit when stdin reaches EOF (they die with the
// process that started them), on SIGTERM/SIGINT, or after --max-seconds; the stats are written in
// every case. Exit codes: 0 done, 1 I/O failure, 2 usage.
//
// The UART bridge works at bit level: link bytes go onto uart_rx_i at ACCEL_BOARD_CLOCKS_PER_BIT
// clocks per bit (8N1, LSB first), uart_tx_o is sampled mid-bit back into bytes. When idle_o is 1
// and nothing is on its way in either direction the model is not clocked: the process sleeps in
// poll() until the host sends something.
//
// Board time (virtual time): every simulated clock counts 1 / ACCEL_BOARD_CLOCK_HZ seconds, every
// wall-clock interval spent asleep with the board idle counts as it is (an idle board's state does
// not change, so clocking it or not is the same; the host's reaction time and the pty's latency
// are thus counted 1:1, the board's work at its real clock). Generated with the real UART divider
// (BoardConfig with the real baud: "timed mode"), the line runs at the RTL's rate in board time,
// whatever the simulation speed; the --stats figures (virtual seconds, the board times of the first
// host byte and the last board byte) give the link's efficiency. With the fast divider (4 clocks a
// bit) the same figures describe a 25 Mbaud line.
//
// The board sleeps only while idle, so a host that keeps frames queued (a window above 1) would
// have its reaction time hidden behind the simulation, which is far slower than the board. With
// --host-time a host byte enters the board's line no earlier in board time than the host's
// reaction allows: the first bytes after the board's latest bytes were handed to the host, and the
// rest of their burst, enter no earlier than the board time of that hand-over plus the wall time
// from it to their arrival. The host's turnaround then counts 1:1 in board time whether or not the
// board had queued work meanwhile.
//
// Timing of a cycle as in accel_tb.cpp: inputs change while the clock is low, handshakes are taken
// after eval(), before the rising edge; outputs are sampled after the edge. The falling edge and the
// new inputs share one eval() (the design has no negedge logic), two evals a cycle instead of three.

#if __has_include("Vaccel_board_xdma.h")
#include "Vaccel_board_xdma.h"
#define BOARD_XDMA 1
using Top = Vaccel_board_xdma;
#else
#include "Vaccel_board_uart.h"
#define BOARD_XDMA 0
using Top = Vaccel_board_uart;
#endif
#include "accel_config.h"
#if __has_include("accel_board_config.h")
#include "accel_board_config.h"
#endif
#include "dram_model.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#ifndef ACCEL_BOARD_CLOCKS_PER_BIT
#error "ACCEL_BOARD_CLOCKS_PER_BIT missing: build with the board RTL's configuration header"
#endif
#ifndef ACCEL_BOARD_DRAM_BYTES
#error "ACCEL_BOARD_DRAM_BYTES missing: build with the board RTL's configuration header"
#endif
#ifndef ACCEL_BOARD_CLOCK_HZ
#error "ACCEL_BOARD_CLOCK_HZ missing: build with the board RTL's configuration header"
#endif

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

constexpr std::uint32_t kBeatBytes = ACCEL_DRAM_BITS / 8;
constexpr int kClocksPerBit = ACCEL_BOARD_CLOCKS_PER_BIT;
constexpr double kNsPerCycle = 1e9 / static_cast<double>(ACCEL_BOARD_CLOCK_HZ);
constexpr int kResetCycles = 16;
// The link is serviced (fds read and written, wall clock looked at) every this many ns of wall time.
constexpr std::int64_t kPumpNs = 15'000;
constexpr int kSleepMs = 2;
// Script mode: a run ends after the board has been idle and silent this long with all input sent.
constexpr std::uint64_t kScriptQuietCycles = 100'000;
// Script mode: after a flag the next byte waits this long, then for the board to be idle (window 1).
constexpr std::uint64_t kScriptFlagGap = 64;
constexpr std::uint64_t kScriptMaxWait = 2'000'000;
constexpr std::size_t kMaxBacklog = 1 << 20;

static_assert(kClocksPerBit >= 4, "ACCEL_BOARD_CLOCKS_PER_BIT below 4");

using Memory = accel::MemoryModel<Top, kBeatBytes>;

volatile sig_atomic_t gQuit = 0;
void onSignal(int) { gQuit = 1; }

std::int64_t nowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

enum class Mode { None, Pty, Script, Xdma };

struct FaultRates {
    double drop = 0, duplicate = 0, corrupt = 0, delay = 0;
    std::int64_t delayNs = 1'000'000;
    bool any() const { return drop > 0 || duplicate > 0 || corrupt > 0 || delay > 0; }
};

struct Options {
    Mode mode = Mode::None;
    std::string linkFile, scriptIn, scriptOut, xdmaDir, statsFile, trace;
    std::uint64_t seed = 1;
    FaultRates faults;
    std::vector<std::uint64_t> resetAfter;
    std::uint64_t dramBytes = ACCEL_BOARD_DRAM_BYTES;
    double maxSeconds = 0;
    bool hostTime = false;
    accel::MemoryTiming timing;
};

struct FaultCounts {
    std::uint64_t dropped = 0, duplicated = 0, corrupted = 0, delayed = 0;
};

// One direction of the link: bytes enter (from the host's fd or the board's line) with their
// wall-clock arrival time, get their faults, and may leave at once, or once a delay fault's
// wall-clock hold is over (bytes stay in order). The line's own rate is the RTL's UART.
class Direction {
  public:
    Direction(const FaultRates& faults, std::uint64_t seed) : faults_(faults), rng_(seed) {}

    void push(std::uint8_t b, std::int64_t now) {
        ++in_;
        if (faults_.any()) {
            if (chance(faults_.drop)) {
                ++counts_.dropped;
                return;
            }
            if (chance(faults_.corrupt)) {
                b ^= static_cast<std::uint8_t>(1u << (rng_() % 8));
                ++counts_.corrupted;
            }
            if (chance(faults_.delay)) {
                // Bytes stay in order: this one and everything behind it waits.
                now += faults_.delayNs;
                ++counts_.delayed;
            }
            if (chance(faults_.duplicate)) {
                ++counts_.duplicated;
                enqueue(b, now);
            }
        }
        enqueue(b, now);
    }

    // The next byte that may leave at `now`, if any.
    bool ready(std::int64_t now) const { return !queue_.empty() && queue_.front().leaves <= now; }
    // The same, and its board time has come (--host-time).
    bool ready(std::int64_t now, double boardNs) const { return ready(now) && queue_.front().notBeforeNs <= boardNs; }
    // Board time before which the next byte may not enter (0 when ungated).
    double frontNotBeforeNs() const { return queue_.empty() ? 0 : queue_.front().notBeforeNs; }
    // Bytes pushed from now on enter no earlier than board time `ns` (kept non-decreasing).
    void gate(double ns) { notBeforeNs_ = std::max(notBeforeNs_, ns); }
    // When the next byte may leave (wall clock); INT64_MAX when none is queued.
    std::int64_t nextLeaves() const { return queue_.empty() ? INT64_MAX : queue_.front().leaves; }
    bool empty() const { return queue_.empty(); }
    std::size_t size() const { return queue_.size(); }
    std::uint8_t pop() {
        const std::uint8_t b = queue_.front().value;
        queue_.pop_front();
        ++out_;
        return b;
    }

    std::uint64_t bytesIn() const { return in_; }
    std::uint64_t bytesOut() const { return out_; }
    const FaultCounts& faults() const { return counts_; }

  private:
    struct Byte {
        std::uint8_t value;
        std::int64_t leaves;
        double notBeforeNs;
    };

    bool chance(double p) { return p > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

    void enqueue(std::uint8_t b, std::int64_t arrival) {
        const std::int64_t leaves = std::max(arrival, lastLeaves_);
        lastLeaves_ = leaves;
        queue_.push_back({b, leaves, notBeforeNs_});
    }

    FaultRates faults_;
    std::mt19937_64 rng_;
    std::deque<Byte> queue_;
    std::int64_t lastLeaves_ = 0;
    double notBeforeNs_ = 0;
    std::uint64_t in_ = 0, out_ = 0;
    FaultCounts counts_;
};

// Host -> board line: 8N1 onto uart_rx_i.
class UartSerializer {
  public:
    bool busy() const { return bit_ < 10; }
    std::uint8_t lastByte() const { return static_cast<std::uint8_t>(frame_ >> 1); }
    void load(std::uint8_t b) {
        frame_ = static_cast<std::uint16_t>(b) << 1 | 1u << 9;  // start 0, data LSB first, stop 1
        bit_ = 0;
        clocks_ = kClocksPerBit;
    }
    // The line level for this cycle.
    std::uint8_t level() const { return busy() ? (frame_ >> bit_ & 1) : 1; }
    // After a cycle: true when that cycle ended the stop bit.
    bool advance() {
        if (!busy()) return false;
        if (--clocks_ == 0) {
            clocks_ = kClocksPerBit;
            return ++bit_ == 10;
        }
        return false;
    }
    void abort() { bit_ = 10; }

  private:
    std::uint16_t frame_ = 0x3FF;
    int bit_ = 10;
    int clocks_ = 0;
};

// Board -> host line: uart_tx_o sampled in the middle of each bit.
class UartDeserializer {
  public:
    bool busy() const { return active_; }
    std::uint64_t framingErrors() const { return framingErrors_; }
    void reset() { active_ = false; }
    // Called once per cycle with the sampled line; returns true and the byte when a stop bit is seen.
    bool sample(std::uint8_t line, std::uint8_t& out) {
        if (!active_) {
            if (line == 0) {
                active_ = true;
                count_ = 0;
                shift_ = 0;
            }
            return false;
        }
        ++count_;
        constexpr int half = kClocksPerBit / 2;
        if (count_ < half || (count_ - half) % kClocksPerBit != 0) return false;
        const int bit = (count_ - half) / kClocksPerBit;
        if (bit == 0) {
            if (line != 0) active_ = false;  // a glitch, not a start bit
            return false;
        }
        if (bit <= 8) {
            shift_ |= static_cast<std::uint8_t>((line & 1) << (bit - 1));
            return false;
        }
        active_ = false;
        if (line != 1) {
            ++framingErrors_;
            return false;
        }
        out = shift_;
        return true;
    }

  private:
    bool active_ = false;
    int count_ = 0;
    std::uint8_t shift_ = 0;
    std::uint64_t framingErrors_ = 0;
};

#if BOARD_XDMA
constexpr std::uint32_t kUserBytes = 4096;
constexpr std::uint32_t kControlAddress = 0x00C;
constexpr std::uint32_t kMirroredRegisters = 8;  // 0x000 .. 0x01C

// AXI4-Lite master: one transaction at a time, each channel's valid held until its handshake.
class AxiLiteMaster {
  public:
    struct Op {
        bool write;
        std::uint32_t addr, data;
    };

    bool idle() const { return phase_ == Phase::Idle && ops_.empty(); }
    void enqueue(Op op) { ops_.push_back(op); }
    // A finished read: its address and value, consumed by the caller.
    bool takeRead(std::uint32_t& addr, std::uint32_t& data) {
        if (!readDone_) return false;
        readDone_ = false;
        addr = current_.addr;
        data = readData_;
        return true;
    }
    bool takeWrite(std::uint32_t& addr) {
        if (!writeDone_) return false;
        writeDone_ = false;
        addr = current_.addr;
        return true;
    }

    void drive(Top& top) {
        if (phase_ == Phase::Idle && !ops_.empty() && !readDone_ && !writeDone_) {
            current_ = ops_.front();
            ops_.pop_front();
            phase_ = Phase::Request;
            awDone_ = wDone_ = !current_.write;
            arDone_ = current_.write;
        }
        const bool request = phase_ == Phase::Request;
        top.s_axil_awaddr_i = current_.addr & 0xFFF;
        top.s_axil_awvalid_i = request && !awDone_;
        top.s_axil_wdata_i = current_.data;
        top.s_axil_wstrb_i = 0xF;
        top.s_axil_wvalid_i = request && !wDone_;
        top.s_axil_araddr_i = current_.addr & 0xFFF;
        top.s_axil_arvalid_i = request && !arDone_;
        top.s_axil_bready_i = phase_ == Phase::Response && current_.write;
        top.s_axil_rready_i = phase_ == Phase::Response && !current_.write;
    }

    void accept(const Top& top) {
        if (phase_ == Phase::Request) {
            if (top.s_axil_awvalid_i && top.s_axil_awready_o) awDone_ = true;
            if (top.s_axil_wvalid_i && top.s_axil_wready_o) wDone_ = true;
            if (top.s_axil_arvalid_i && top.s_axil_arready_o) arDone_ = true;
            if (awDone_ && wDone_ && arDone_) phase_ = Phase::Response;
        } else if (phase_ == Phase::Response) {
            if (current_.write && top.s_axil_bvalid_o && top.s_axil_bready_i) {
                writeDone_ = true;
                phase_ = Phase::Idle;
            } else if (!current_.write && top.s_axil_rvalid_o && top.s_axil_rready_i) {
                readData_ = top.s_axil_rdata_o;
                readDone_ = true;
                phase_ = Phase::Idle;
            }
        }
    }

    // A reset of the board aborts the transaction in flight (its response never comes).
    void reset() {
        phase_ = Phase::Idle;
        ops_.clear();
        readDone_ = writeDone_ = false;
    }

  private:
    enum class Phase { Idle, Request, Response };
    Phase phase_ = Phase::Idle;
    std::deque<Op> ops_;
    Op current_{false, 0, 0};
    bool awDone_ = false, wDone_ = false, arDone_ = false;
    bool readDone_ = false, writeDone_ = false;
    std::uint32_t readData_ = 0;
};
#endif

class Board {
  public:
    Board(VerilatedContext* ctx, Top* top, accel::Dram& dram, const Options& o)
        : ctx_(ctx),
          top_(top),
          options_(o),
          memory_(dram, o.timing, /*strict=*/false),
          toBoard_(o.faults, o.seed),
          toHost_(o.faults, o.seed ^ 0x9E3779B97F4A7C15ull) {}

#if VM_TRACE
    void attachTrace(VerilatedVcdC* trace) { trace_ = trace; }
#endif

    std::uint64_t cycles() const { return cycles_; }
    // Board time so far: the cycles at the board's clock plus the wall time slept while idle.
    double virtualNs() const { return static_cast<double>(cycles_) * kNsPerCycle + static_cast<double>(idleNs_); }
    // A host byte may enter the line now: it has arrived (wall clock) and its board time has come.
    bool hostReady(std::int64_t now) const { return toBoard_.ready(now, virtualNs()); }
    void addIdle(std::int64_t ns) { idleNs_ += std::max<std::int64_t>(ns, 0); }
    // Board times (ns) when the first host byte started onto the board's line and when the last
    // board byte was complete; negative when there was none.
    double firstHostByteNs() const { return firstHostNs_; }
    double lastBoardByteNs() const { return lastBoardNs_; }
    std::int64_t idleNs() const { return idleNs_; }
    std::uint64_t firstHostByteCycle() const { return firstHostCycle_; }
    std::uint64_t lastBoardByteCycle() const { return lastBoardCycle_; }
    std::uint64_t resets() const { return resets_; }
    Direction& toBoard() { return toBoard_; }
    Direction& toHost() { return toHost_; }
    const Memory& memory() const { return memory_; }
    std::uint64_t framingErrors() const {
#if BOARD_XDMA
        return 0;
#else
        return rxLine_.framingErrors();
#endif
    }
    bool idle() const { return top_->idle_o; }

    void powerOn() {
        top_->clk_i = 0;
        top_->rst_ni = 0;
        driveLinkIdle();
        memory_.idle(*top_);
        top_->eval();
        dump();
        resetLeft_ = kResetCycles;
    }

    // Whether clocking the model could change anything before the next host byte may enter at
    // `now`: otherwise the caller may sleep (bytes for the host, or held by a delay fault, do not
    // need the board's clock).
    bool quiet(std::int64_t now) const {
        if (resetLeft_ > 0 || !top_->idle_o || !memory_.quiet() || hostReady(now)) return false;
#if BOARD_XDMA
        return !h2cValid_ && !top_->m_axis_c2h_tvalid_o && axil_.idle();
#else
        return !txLine_.busy() && !rxLine_.busy() && top_->uart_tx_o;
#endif
    }

    // Script mode pacing (window 1, as LinkClient does): after a flag, the next byte waits for the
    // board to have executed and answered what the flag closed.
    void setScriptPacing(bool on) { scriptPacing_ = on; }

    void step(std::int64_t now) {
        if (resetLeft_ > 0) {
            top_->rst_ni = 0;
            if (--resetLeft_ == 0) top_->rst_ni = 1;
        } else {
            feedLink(now);
        }
        memory_.serve(*top_, cycles_);
#if BOARD_XDMA
        axil_.drive(*top_);
#endif
        // The falling edge and this cycle's inputs in one eval (no logic runs on the falling edge).
        top_->clk_i = 0;
        top_->eval();
        dump();
        memory_.accept(*top_, cycles_);
        acceptLink(now);
        top_->clk_i = 1;
        top_->eval();
        dump();
        ++cycles_;
        sampleLink(now);
    }

#if BOARD_XDMA
    AxiLiteMaster& axil() { return axil_; }
#endif

    std::uint64_t hostBytesOnLine() const { return bytesOnLine_; }

  private:
    void driveLinkIdle() {
#if BOARD_XDMA
        top_->s_axis_h2c_tvalid_i = 0;
        top_->s_axis_h2c_tkeep_i = 0;
        top_->s_axis_h2c_tlast_i = 0;
        top_->m_axis_c2h_tready_i = 0;
        top_->s_axil_awvalid_i = 0;
        top_->s_axil_wvalid_i = 0;
        top_->s_axil_arvalid_i = 0;
        top_->s_axil_bready_i = 0;
        top_->s_axil_rready_i = 0;
#else
        top_->uart_rx_i = 1;
#endif
    }

    bool scriptMayStart() {
        if (!scriptPacing_ || !lastWasFlag_) return true;
        ++scriptWait_;
        if (scriptWait_ > kScriptMaxWait) return true;  // the board never went idle: do not hang
        if (scriptWait_ < kScriptFlagGap) return false;
#if BOARD_XDMA
        return top_->idle_o && !top_->m_axis_c2h_tvalid_o;
#else
        return top_->idle_o && !rxLine_.busy() && top_->uart_tx_o;
#endif
    }

    void sent(std::uint8_t b) {
        lastWasFlag_ = b == 0x7E;
        scriptWait_ = 0;
        ++bytesOnLine_;
        while (nextReset_ < options_.resetAfter.size() && bytesOnLine_ >= options_.resetAfter[nextReset_]) {
            ++nextReset_;
            boardReset();
        }
    }

    // rst_ni low for kResetCycles: the memory forgets bursts in flight, the lines go idle.
    void boardReset() {
        ++resets_;
        resetLeft_ = kResetCycles;
        memory_.dropInFlight();
        top_->rst_ni = 0;
#if BOARD_XDMA
        axil_.reset();
#else
        txLine_.abort();
        rxLine_.reset();
#endif
        driveLinkIdle();
    }

    void feedLink(std::int64_t now) {
#if BOARD_XDMA
        if (!h2cValid_ && hostReady(now) && scriptMayStart()) {
            std::uint8_t beat[8] = {};
            int n = 0;
            // One beat holds up to 8 bytes; in script mode a flag ends the beat so pacing can act.
            while (n < 8 && hostReady(now)) {
                beat[n] = toBoard_.pop();
                if (beat[n++] == 0x7E && scriptPacing_) break;
            }
            accel::setPort(top_->s_axis_h2c_tdata_i, beat, 8);
            top_->s_axis_h2c_tkeep_i = static_cast<std::uint8_t>((1u << n) - 1);
            top_->s_axis_h2c_tlast_i = 0;
            h2cBytes_ = n;
            std::memcpy(h2cBeat_, beat, sizeof beat);
            h2cValid_ = true;
            markHostByte();
        }
        top_->s_axis_h2c_tvalid_i = h2cValid_;
        top_->m_axis_c2h_tready_i = toHost_.size() < kMaxBacklog;
#else
        if (!txLine_.busy() && hostReady(now) && scriptMayStart()) {
            txLine_.load(toBoard_.pop());
            markHostByte();
        }
        top_->uart_rx_i = txLine_.level();
#endif
    }

    void acceptLink(std::int64_t now) {
#if BOARD_XDMA
        if (h2cValid_ && top_->s_axis_h2c_tvalid_i && top_->s_axis_h2c_tready_o) {
            h2cValid_ = false;  // the port keeps its value through this rising edge; feedLink drives the next beat
            for (int i = 0; i < h2cBytes_; ++i) sent(h2cBeat_[i]);
        }
        if (top_->m_axis_c2h_tvalid_o && top_->m_axis_c2h_tready_i) {
            std::uint8_t beat[8];
            accel::getPort(top_->m_axis_c2h_tdata_o, beat, 8);
            for (int i = 0; i < 8; ++i) {
                if (top_->m_axis_c2h_tkeep_o >> i & 1) toHost_.push(beat[i], now);
            }
            markBoardByte();
        }
        axil_.accept(*top_);
#else
        (void)now;
#endif
    }

    void sampleLink(std::int64_t now) {
#if BOARD_XDMA
        (void)now;
#else
        if (txLine_.advance()) sent(txLine_.lastByte());
        std::uint8_t b;
        if (rxLine_.sample(top_->uart_tx_o, b)) {
            toHost_.push(b, now);
            markBoardByte();
        }
#endif
    }

    void markBoardByte() {
        lastBoardNs_ = virtualNs();
        lastBoardCycle_ = cycles_;
    }

    void markHostByte() {
        if (firstHostNs_ < 0) {
            firstHostNs_ = virtualNs();
            firstHostCycle_ = cycles_;
        }
    }

    void dump() {
        ctx_->timeInc(1);
#if VM_TRACE
        if (trace_) trace_->dump(ctx_->time());
#endif
    }

    VerilatedContext* ctx_;
    Top* top_;
    const Options& options_;
    Memory memory_;
    Direction toBoard_, toHost_;
#if VM_TRACE
    VerilatedVcdC* trace_ = nullptr;
#endif
    std::uint64_t cycles_ = 0;
    std::int64_t idleNs_ = 0;
    double firstHostNs_ = -1, lastBoardNs_ = -1;
    std::uint64_t firstHostCycle_ = 0, lastBoardCycle_ = 0;
    int resetLeft_ = 0;
    std::uint64_t resets_ = 0;
    std::size_t nextReset_ = 0;
    std::uint64_t bytesOnLine_ = 0;
    bool scriptPacing_ = false;
    bool lastWasFlag_ = false;
    std::uint64_t scriptWait_ = 0;
#if BOARD_XDMA
    AxiLiteMaster axil_;
    bool h2cValid_ = false;
    int h2cBytes_ = 0;
    std::uint8_t h2cBeat_[8] = {};
#else
    UartSerializer txLine_;
    UartDeserializer rxLine_;
#endif
};

// The host's end of the link: a pseudo-terminal, FIFOs, or files.
class Link {
  public:
    virtual ~Link() = default;
    // Moves what the host sent into `to` (up to a backlog); false when the link failed.
    virtual bool receive(Direction& to, std::int64_t now) = 0;
    // Moves what may leave `from` at `now` to the host; false when the link failed.
    virtual bool transmit(Direction& from, std::int64_t now) = 0;
    // A descriptor that becomes readable when the host sends, for poll(); -1 if none.
    virtual int wakeFd() const { return -1; }
    // A descriptor that becomes writable when the host takes bytes (with pending()), for poll(); -1 if none.
    virtual int writeFd() const { return -1; }
    virtual bool pending() const { return false; }
};

// Reads what a non-blocking descriptor has; false on a hard error.
bool drain(int fd, Direction& to, std::int64_t now) {
    std::uint8_t buffer[4096];
    while (to.size() < kMaxBacklog) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) {
            for (ssize_t i = 0; i < n; ++i) to.push(buffer[i], now);
            continue;
        }
        if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == EIO) return true;
        return false;
    }
    return true;
}

// Writes what may leave; what the descriptor does not take now stays in `backlog`.
bool flush(int fd, Direction& from, std::int64_t now, std::vector<std::uint8_t>& backlog) {
    while (from.ready(now) && backlog.size() < 65536) backlog.push_back(from.pop());
    while (!backlog.empty()) {
        const ssize_t n = ::write(fd, backlog.data(), backlog.size());
        if (n > 0) {
            backlog.erase(backlog.begin(), backlog.begin() + n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
        return false;
    }
    return true;
}

class PtyLink : public Link {
  public:
    ~PtyLink() override {
        if (master_ >= 0) ::close(master_);
        if (slave_ >= 0) ::close(slave_);
    }

    bool open(const std::string& linkFile, std::string& error) {
        char name[256] = {};
        if (::openpty(&master_, &slave_, name, nullptr, nullptr) != 0) {
            error = std::string("openpty: ") + std::strerror(errno);
            return false;
        }
        termios t{};
        if (::tcgetattr(slave_, &t) != 0) {
            error = std::string("tcgetattr: ") + std::strerror(errno);
            return false;
        }
        ::cfmakeraw(&t);
        ::tcsetattr(slave_, TCSANOW, &t);
        ::fcntl(master_, F_SETFL, ::fcntl(master_, F_GETFL) | O_NONBLOCK);
        // The slave stays open here: without it the pty hangs up whenever the host closes it.
        if (!linkFile.empty()) {
            FILE* f = std::fopen(linkFile.c_str(), "w");
            if (!f || std::fprintf(f, "%s\n", name) < 0 || std::fclose(f) != 0) {
                error = "cannot write " + linkFile;
                return false;
            }
        }
        std::printf("PTY %s\n", name);
        std::fflush(stdout);
        return true;
    }

    bool receive(Direction& to, std::int64_t now) override { return drain(master_, to, now); }
    bool transmit(Direction& from, std::int64_t now) override { return flush(master_, from, now, backlog_); }
    int wakeFd() const override { return master_; }
    int writeFd() const override { return master_; }
    bool pending() const override { return !backlog_.empty(); }

  private:
    int master_ = -1, slave_ = -1;
    std::vector<std::uint8_t> backlog_;
};

class ScriptLink : public Link {
  public:
    bool open(const std::string& in, std::string& error) {
        std::ifstream f(in, std::ios::binary);
        if (!f) {
            error = "cannot read " + in;
            return false;
        }
        input_.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
        return true;
    }
    bool receive(Direction& to, std::int64_t now) override {
        for (; next_ < input_.size() && to.size() < kMaxBacklog; ++next_) to.push(input_[next_], now);
        return true;
    }
    bool transmit(Direction& from, std::int64_t now) override {
        while (from.ready(now)) output_.push_back(from.pop());
        return true;
    }
    bool allRead() const { return next_ == input_.size(); }
    bool write(const std::string& path) const {
        std::ofstream f(path, std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(output_.data()), static_cast<std::streamsize>(output_.size()));
        return static_cast<bool>(f.flush());
    }

  private:
    std::vector<std::uint8_t> input_, output_;
    std::size_t next_ = 0;
};

#if BOARD_XDMA
class XdmaLink : public Link {
  public:
    ~XdmaLink() override {
        if (h2c_ >= 0) ::close(h2c_);
        if (c2h_ >= 0) ::close(c2h_);
        if (user_) ::munmap(const_cast<std::uint32_t*>(user_), kUserBytes);
    }

    bool open(const std::string& dir, std::string& error) {
        ::mkdir(dir.c_str(), 0755);
        prefix_ = dir + "/xdma0";
        const std::string h2c = prefix_ + "_h2c_0", c2h = prefix_ + "_c2h_0", user = prefix_ + "_user";
        if (!fifo(h2c, error) || !fifo(c2h, error)) return false;
        // O_RDWR on a FIFO never blocks and keeps both ends referenced: the host may open and close
        // its ends at any time without an EOF or a SIGPIPE here.
        h2c_ = ::open(h2c.c_str(), O_RDWR | O_NONBLOCK);
        c2h_ = ::open(c2h.c_str(), O_RDWR | O_NONBLOCK);
        if (h2c_ < 0 || c2h_ < 0) {
            error = "cannot open the FIFOs in " + dir + ": " + std::strerror(errno);
            return false;
        }
        const int fd = ::open(user.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || ::ftruncate(fd, kUserBytes) != 0) {
            error = "cannot create " + user + ": " + std::strerror(errno);
            if (fd >= 0) ::close(fd);
            return false;
        }
        void* map = ::mmap(nullptr, kUserBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        ::close(fd);
        if (map == MAP_FAILED) {
            error = "cannot map " + user + ": " + std::strerror(errno);
            return false;
        }
        user_ = static_cast<volatile std::uint32_t*>(map);
        return true;
    }

    void announce() const {
        std::printf("XDMA %s\n", prefix_.c_str());
        std::fflush(stdout);
    }

    bool receive(Direction& to, std::int64_t now) override { return drain(h2c_, to, now); }
    bool transmit(Direction& from, std::int64_t now) override { return flush(c2h_, from, now, backlog_); }
    int wakeFd() const override { return h2c_; }
    int writeFd() const override { return c2h_; }
    bool pending() const override { return !backlog_.empty(); }
    volatile std::uint32_t* user() const { return user_; }

  private:
    static bool fifo(const std::string& path, std::string& error) {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0) {
            if (S_ISFIFO(st.st_mode)) return true;
            ::unlink(path.c_str());
        }
        if (::mkfifo(path.c_str(), 0644) != 0) {
            error = "mkfifo " + path + ": " + std::strerror(errno);
            return false;
        }
        return true;
    }

    std::string prefix_;
    int h2c_ = -1, c2h_ = -1;
    volatile std::uint32_t* user_ = nullptr;
    std::vector<std::uint8_t> backlog_;
};
#endif

bool parseNumber(const std::string& arg, const std::string& value, double min, double max, double& out, std::string& error) {
    char* end = nullptr;
    out = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !(out >= min && out <= max)) {
        error = arg + " needs a number in " + std::to_string(min) + ".." + std::to_string(max) + ", got '" + value + "'";
        return false;
    }
    return true;
}

bool parseUnsigned(const std::string& arg, const std::string& value, std::uint64_t& out, std::string& error) {
    char* end = nullptr;
    errno = 0;
    out = std::strtoull(value.c_str(), &end, 10);
    if (value.empty() || value[0] == '-' || *end != '\0' || errno != 0) {
        error = arg + " needs a non-negative integer, got '" + value + "'";
        return false;
    }
    return true;
}

bool parseOptions(int argc, char** argv, Options& o, std::string& error) {
    static const char* const valued[] = {"--link-file", "--script", "--script-out", "--xdma", "--seed", "--drop",
                                         "--duplicate", "--corrupt", "--delay", "--delay-us", "--reset-after-bytes",
                                         "--dram-bytes", "--stats", "--max-seconds", "--trace", "--dram-read-latency",
                                         "--dram-write-latency", "--dram-beats-per-cycle", "--dram-outstanding"};
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (!arg.empty() && arg[0] == '+') continue;  // +verilator+... options, for VerilatedContext
        if (arg == "--pty") {
            o.mode = Mode::Pty;
            continue;
        }
        if (arg == "--host-time") {
            o.hostTime = true;
            continue;
        }
        if (std::find_if(std::begin(valued), std::end(valued), [&](const char* v) { return arg == v; }) == std::end(valued)) {
            error = "unknown option " + arg;
            return false;
        }
        if (i + 1 >= argc) {
            error = "missing value after " + arg;
            return false;
        }
        const std::string value = argv[++i];
        double x = 0;
        std::uint64_t n = 0;
        if (arg == "--link-file") o.linkFile = value;
        else if (arg == "--script") {
            o.mode = Mode::Script;
            o.scriptIn = value;
        } else if (arg == "--script-out") o.scriptOut = value;
        else if (arg == "--xdma") {
            o.mode = Mode::Xdma;
            o.xdmaDir = value;
        } else if (arg == "--stats") o.statsFile = value;
        else if (arg == "--trace") o.trace = value;
        else if (arg == "--seed") {
            if (!parseUnsigned(arg, value, o.seed, error)) return false;
        } else if (arg == "--drop") {
            if (!parseNumber(arg, value, 0, 1, o.faults.drop, error)) return false;
        } else if (arg == "--duplicate") {
            if (!parseNumber(arg, value, 0, 1, o.faults.duplicate, error)) return false;
        } else if (arg == "--corrupt") {
            if (!parseNumber(arg, value, 0, 1, o.faults.corrupt, error)) return false;
        } else if (arg == "--delay") {
            if (!parseNumber(arg, value, 0, 1, o.faults.delay, error)) return false;
        } else if (arg == "--delay-us") {
            if (!parseUnsigned(arg, value, n, error)) return false;
            o.faults.delayNs = static_cast<std::int64_t>(n) * 1000;
        } else if (arg == "--reset-after-bytes") {
            std::size_t start = 0;
            while (start <= value.size()) {
                const std::size_t comma = std::min(value.find(',', start), value.size());
                if (!parseUnsigned(arg, value.substr(start, comma - start), n, error)) return false;
                o.resetAfter.push_back(n);
                start = comma + 1;
            }
            std::sort(o.resetAfter.begin(), o.resetAfter.end());
        } else if (arg == "--dram-bytes") {
            if (!parseUnsigned(arg, value, o.dramBytes, error) || o.dramBytes == 0) {
                error = "--dram-bytes needs a positive integer, got '" + value + "'";
                return false;
            }
        } else if (arg == "--max-seconds") {
            if (!parseNumber(arg, value, 0, 1e9, o.maxSeconds, error)) return false;
        } else if (arg == "--dram-read-latency") {
            if (!parseUnsigned(arg, value, o.timing.readLatency, error)) return false;
        } else if (arg == "--dram-write-latency") {
            if (!parseUnsigned(arg, value, o.timing.writeLatency, error)) return false;
        } else if (arg == "--dram-outstanding") {
            if (!parseUnsigned(arg, value, n, error) || n == 0 || n > 64) {
                error = "--dram-outstanding needs an integer in 1..64, got '" + value + "'";
                return false;
            }
            o.timing.outstanding = static_cast<std::size_t>(n);
        } else if (arg == "--dram-beats-per-cycle") {
            if (!parseNumber(arg, value, 1e-6, 1, o.timing.beatsPerCycle, error)) return false;
        }
    }
    if (o.mode == Mode::None) {
        error = "one of --pty, --script or --xdma is required";
        return false;
    }
    if (o.mode == Mode::Script && o.scriptOut.empty()) {
        error = "--script needs --script-out";
        return false;
    }
    if ((o.mode == Mode::Xdma) != (BOARD_XDMA != 0)) {
        error = BOARD_XDMA ? "this is the XDMA build: use --xdma DIR" : "this is the UART build: --xdma needs the XDMA build";
        return false;
    }
    return true;
}

void writeFaults(FILE* f, const FaultCounts& c) {
    std::fprintf(f, "{\"dropped\": %" PRIu64 ", \"duplicated\": %" PRIu64 ", \"corrupted\": %" PRIu64 ", \"delayed\": %" PRIu64 "}",
                 c.dropped, c.duplicated, c.corrupted, c.delayed);
}

// Wall time from the board's last bytes handed to the host to the host's next byte (its reaction,
// the pty's latency both ways, the polling of both sides).
struct Turnaround {
    std::uint64_t count = 0;
    std::int64_t totalNs = 0, maxNs = 0;
    void add(std::int64_t ns) {
        ++count;
        totalNs += ns;
        maxNs = std::max(maxNs, ns);
    }
};

bool writeStats(const std::string& path, Board& board, double wallSeconds, double busySeconds, const Turnaround& turnaround,
                const char* reason) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) return false;
    const accel::DramStats& d = board.memory().stats();
    std::fprintf(f, "{\"hostToBoardBytes\": %" PRIu64 ", \"hostToBoardBytesOnLine\": %" PRIu64 ",\n", board.toBoard().bytesIn(),
                 board.hostBytesOnLine());
    std::fprintf(f, " \"boardToHostBytes\": %" PRIu64 ", \"boardToHostBytesDelivered\": %" PRIu64 ",\n", board.toHost().bytesIn(),
                 board.toHost().bytesOut());
    std::fprintf(f, " \"faultsToBoard\": ");
    writeFaults(f, board.toBoard().faults());
    std::fprintf(f, ",\n \"faultsToHost\": ");
    writeFaults(f, board.toHost().faults());
    std::fprintf(f, ",\n \"resets\": %" PRIu64 ", \"framingErrors\": %" PRIu64 ", \"cycles\": %" PRIu64 ",\n", board.resets(),
                 board.framingErrors(), board.cycles());
    std::fprintf(f, " \"wallSeconds\": %.6f, \"busySeconds\": %.6f, \"cyclesPerBusySecond\": %.0f,\n", wallSeconds, busySeconds,
                 busySeconds > 0 ? static_cast<double>(board.cycles()) / busySeconds : 0.0);
    // Board time: cycles at the board clock plus the idle wall time; first/last byte null when none crossed.
    std::fprintf(f, " \"clockHz\": %" PRIu64 ", \"virtualSeconds\": %.9f, \"firstHostByteSeconds\": ", static_cast<std::uint64_t>(ACCEL_BOARD_CLOCK_HZ),
                 board.virtualNs() / 1e9);
    if (board.firstHostByteNs() >= 0) std::fprintf(f, "%.9f", board.firstHostByteNs() / 1e9);
    else std::fprintf(f, "null");
    std::fprintf(f, ", \"lastBoardByteSeconds\": ");
    if (board.lastBoardByteNs() >= 0) std::fprintf(f, "%.9f", board.lastBoardByteNs() / 1e9);
    else std::fprintf(f, "null");
    std::fprintf(f, ", \"firstHostByteCycle\": %" PRIu64 ", \"lastBoardByteCycle\": %" PRIu64, board.firstHostByteCycle(), board.lastBoardByteCycle());
    std::fprintf(f, ", \"idleSeconds\": %.9f,\n \"hostTurnarounds\": %" PRIu64 ", \"hostTurnaroundSeconds\": %.9f, \"maxHostTurnaroundSeconds\": %.9f,\n",
                 board.idleNs() / 1e9, turnaround.count, turnaround.totalNs / 1e9, turnaround.maxNs / 1e9);
    std::fprintf(f, " \"dram\": {\"readRequests\": %" PRIu64 ", \"readBeats\": %" PRIu64 ", \"writeBeats\": %" PRIu64
                    ", \"insnReadRequests\": %" PRIu64 ", \"insnReadBeats\": %" PRIu64 ", \"outOfRange\": %" PRIu64 "},\n",
                 d.readRequests, d.readBeats, d.writeBeats, d.insnReadRequests, d.insnReadBeats, d.outOfRange);
    std::fprintf(f, " \"exit\": \"%s\", \"clocksPerBit\": %d, \"configHash\": \"%s\"}\n", reason, kClocksPerBit, ACCEL_CONFIG_HASH);
    return std::fclose(f) == 0;
}

#if BOARD_XDMA
// Re-reads the mirrored registers through AXI-Lite (control excepted: that word belongs to the host).
void refreshMirror(Board& board) {
    if (!board.axil().idle()) return;
    for (std::uint32_t r = 0; r < kMirroredRegisters; ++r) {
        if (r * 4 != kControlAddress) board.axil().enqueue({false, r * 4, 0});
    }
}

// Completed AXI-Lite reads land in the mirror; the host's control word becomes an AXI-Lite write.
void serviceUser(Board& board, XdmaLink& link, bool& controlInFlight) {
    std::uint32_t addr = 0, data = 0;
    while (board.axil().takeRead(addr, data)) link.user()[addr / 4] = data;
    if (board.axil().takeWrite(addr) && addr == kControlAddress) {
        link.user()[kControlAddress / 4] = 0;  // control reads 0
        controlInFlight = false;
    }
    const std::uint32_t control = link.user()[kControlAddress / 4];
    if (control != 0 && !controlInFlight) {
        board.axil().enqueue({true, kControlAddress, control});
        controlInFlight = true;
    }
}
#endif

}  // namespace

int main(int argc, char** argv) {
    const std::int64_t wallStart = nowNs();
    Options options;
    std::string error;
    if (!parseOptions(argc, argv, options, error)) {
        std::fprintf(stderr,
                     "accel_board_emu: %s\nusage: accel_board_emu (--pty [--link-file PATH] | --script IN --script-out OUT | "
                     "--xdma DIR) [--seed S] [--drop P] [--duplicate P] [--corrupt P] [--delay P] [--delay-us U] "
                     "[--reset-after-bytes N[,N...]] [--dram-bytes N] [--stats FILE] [--max-seconds N] [--host-time] [--trace FILE]\n",
                     error.c_str());
        return kExitUsage;
    }
#if !VM_TRACE
    if (!options.trace.empty()) {
        std::fprintf(stderr, "accel_board_emu: --trace asked for, but this build has no tracing\n");
        return kExitUsage;
    }
#endif
    struct sigaction action {};
    action.sa_handler = onSignal;
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    signal(SIGPIPE, SIG_IGN);

    const auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    const auto top = std::make_unique<Top>(ctx.get(), "TOP");
    accel::Dram dram;
    dram.resize(options.dramBytes);
    Board board(ctx.get(), top.get(), dram, options);
#if VM_TRACE
    std::unique_ptr<VerilatedVcdC> trace;
    if (!options.trace.empty()) {
        ctx->traceEverOn(true);
        trace = std::make_unique<VerilatedVcdC>();
        top->trace(trace.get(), 99);
        trace->open(options.trace.c_str());
        if (!trace->isOpen()) {
            std::fprintf(stderr, "accel_board_emu: cannot open trace file %s\n", options.trace.c_str());
            return kExitFailure;
        }
        board.attachTrace(trace.get());
    }
#endif

    board.powerOn();
    for (int i = 0; i < kResetCycles + 2; ++i) board.step(nowNs());

    std::unique_ptr<Link> link;
    ScriptLink* script = nullptr;
#if BOARD_XDMA
    XdmaLink* xdma = nullptr;
    bool controlInFlight = false;
#endif
    bool opened = false;
    if (options.mode == Mode::Pty) {
        auto pty = std::make_unique<PtyLink>();
        opened = pty->open(options.linkFile, error);
        link = std::move(pty);
    } else if (options.mode == Mode::Script) {
        auto s = std::make_unique<ScriptLink>();
        opened = s->open(options.scriptIn, error);
        script = s.get();
        link = std::move(s);
        board.setScriptPacing(true);
    }
#if BOARD_XDMA
    else {
        auto x = std::make_unique<XdmaLink>();
        opened = x->open(options.xdmaDir, error);
        xdma = x.get();
        link = std::move(x);
        if (opened) {
            // The mirror holds the registers before the host is told the device exists.
            refreshMirror(board);
            for (int i = 0; i < 1000 && !board.axil().idle(); ++i) board.step(nowNs());
            serviceUser(board, *xdma, controlInFlight);
            xdma->announce();
        }
    }
#endif
    if (!opened) {
        std::fprintf(stderr, "accel_board_emu: %s\n", error.c_str());
        return kExitFailure;
    }

    const bool interactive = options.mode != Mode::Script;
    const char* reason = "done";
    std::int64_t now = nowNs(), nextPump = 0, nextStdin = 0, nextRefresh = 0;
    std::int64_t sleptNs = 0, lastHanded = 0;
    // Board time of the latest hand-over of board bytes to the host (lastHanded is its wall clock,
    // until the host's next bytes arrive): --host-time stamps those bytes from it.
    double handBoardNs = 0;
    Turnaround turnaround;
    const std::int64_t deadline = options.maxSeconds > 0 ? wallStart + static_cast<std::int64_t>(options.maxSeconds * 1e9) : INT64_MAX;
    std::uint64_t quietCycles = 0;
    int exitCode = 0;
    for (std::uint64_t n = 0;; ++n) {
        if ((n & 31) == 0) now = nowNs();
        bool pumped = false;
        if (now >= nextPump) {
            pumped = true;
            nextPump = now + kPumpNs;
            if (gQuit) {
                reason = "signal";
                break;
            }
            if (now >= deadline) {
                reason = "max-seconds";
                break;
            }
            const std::uint64_t hostBytes = board.toBoard().bytesIn(), boardBytes = board.toHost().bytesOut();
            if (options.hostTime && lastHanded > 0) board.toBoard().gate(handBoardNs + static_cast<double>(now - lastHanded));
            if (!link->receive(board.toBoard(), now) || !link->transmit(board.toHost(), now)) {
                std::fprintf(stderr, "accel_board_emu: link I/O failed: %s\n", std::strerror(errno));
                reason = "link-error";
                exitCode = kExitFailure;
                break;
            }
            // The host's turnaround as seen here: from handing it the board's last bytes to its next byte.
            if (board.toBoard().bytesIn() != hostBytes) {
                if (lastHanded > 0) turnaround.add(now - lastHanded);
                lastHanded = 0;
            }
            if (board.toHost().bytesOut() != boardBytes && board.toHost().empty() && !link->pending()) {
                lastHanded = now;
                handBoardNs = board.virtualNs();
            }
            if (interactive && now >= nextStdin) {
                nextStdin = now + 10'000'000;
                pollfd in{0, POLLIN, 0};
                if (::poll(&in, 1, 0) > 0) {
                    char buffer[256];
                    const ssize_t got = ::read(0, buffer, sizeof buffer);
                    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
                        reason = "stdin-eof";
                        break;
                    }
                }
            }
#if BOARD_XDMA
            serviceUser(board, *xdma, controlInFlight);
            if (now >= nextRefresh) {
                nextRefresh = now + 1'000'000;
                refreshMirror(board);
            }
#else
            (void)nextRefresh;
#endif
        }
        if (script) {
            const bool silent = board.toBoard().empty() && board.quiet(now);
            quietCycles = silent ? quietCycles + 1 : 0;
            if (script->allRead() && quietCycles >= kScriptQuietCycles) break;
        } else if (board.quiet(now)) {
            // Nothing the board's clock could change: sleep until the host sends, takes what is
            // pending, or a held byte may leave. Every path that waits on the wall clock with an
            // idle board comes here, so the wait counts in board time as it is.
            if (!pumped) {
                nextPump = 0;  // service the link right before sleeping
                continue;
            }
            if (board.toBoard().ready(now) && !board.hostReady(now)) {
                // A host byte is here but its board time (--host-time) has not come: the idle board
                // waits for it in board time, which takes no wall time.
                board.addIdle(static_cast<std::int64_t>(std::ceil(board.toBoard().frontNotBeforeNs() - board.virtualNs())));
                continue;
            }
            now = nowNs();
            std::int64_t wake = now + kSleepMs * 1'000'000;
            wake = std::min(wake, board.toBoard().nextLeaves());
            const bool blocked = link->pending() || board.toHost().ready(now);  // the host has not taken it yet
            if (!board.toHost().ready(now)) wake = std::min(wake, board.toHost().nextLeaves());
            pollfd fds[3] = {{link->wakeFd(), POLLIN, 0}, {0, POLLIN, 0}, {blocked ? link->writeFd() : -1, POLLOUT, 0}};
            const std::int64_t wait = std::max<std::int64_t>(wake - now, 0);
            const timespec timeout{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
            ::ppoll(fds, 3, &timeout, nullptr);
            const std::int64_t after = nowNs();
            sleptNs += after - now;
            board.addIdle(after - now);
            now = after;
            nextPump = 0;
            if (fds[1].revents & (POLLIN | POLLHUP)) nextStdin = 0;
            continue;
        }
        board.step(now);
    }

    if (script) {
        link->transmit(board.toHost(), INT64_MAX);
        if (!script->write(options.scriptOut)) {
            std::fprintf(stderr, "accel_board_emu: cannot write %s\n", options.scriptOut.c_str());
            exitCode = kExitFailure;
        }
    }
    top->final();
#if VM_TRACE
    if (trace) trace->close();
#endif
    const double wall = static_cast<double>(nowNs() - wallStart) / 1e9;
    if (!options.statsFile.empty() && !writeStats(options.statsFile, board, wall, wall - sleptNs / 1e9, turnaround, reason)) {
        std::fprintf(stderr, "accel_board_emu: cannot write %s\n", options.statsFile.c_str());
        exitCode = kExitFailure;
    }
    return exitCode;
}
