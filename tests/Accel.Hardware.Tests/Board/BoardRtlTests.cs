using System.Buffers.Binary;
using System.Text;
using Accel.Hardware.Board;
using Accel.Hardware.Config;
using Accel.Hardware.Engine;
using Accel.Hardware.Rtl;
using Accel.Tests;
using Xunit;

namespace Accel.Hardware.Tests.Board;

public class BoardConfigTests
{
    [Fact]
    public void TheDividerRoundsToTheNearestClockAndTheEmulatedPresetIsFourClocksPerBit()
    {
        Assert.Equal(33, new BoardConfig().Validate().ClocksPerBit);          // 100 MHz / 3 Mbaud = 33.3
        Assert.Equal(4, BoardConfig.Emulated.Validate().ClocksPerBit);
        Assert.Equal(868, new BoardConfig { Baud = 115_200 }.Validate().ClocksPerBit);
        Assert.Equal(42, new BoardConfig { ClockHz = 125_000_000 }.Validate().ClocksPerBit); // 41.67 -> 42, 0.8 % off
    }

    [Theory]
    [InlineData(100_000_000, 50_000_000, 1L << 26, "baud", "at least 4")]
    [InlineData(10_000_000, 2_200_000, 1L << 26, "baud", "off")]        // 5 clocks per bit: 2 Mbaud, 9 % off
    [InlineData(100_000_000, 0, 1L << 26, "baud", "positive")]
    [InlineData(100, 9600, 1L << 26, "clockHz", "1 MHz")]
    [InlineData(100_000_000, 3_000_000, 5L << 30, "dramBytes", "u32")]
    [InlineData(100_000_000, 3_000_000, 10, "dramBytes", "1 KiB")]
    public void ValidateNamesTheFieldAtFault(long clockHz, long baud, long dramBytes, string field, string fragment)
    {
        var e = Assert.Throws<ConfigException>(() => new BoardConfig { ClockHz = clockHz, Baud = baud, DramBytes = dramBytes }.Validate());
        Assert.Equal(field, e.Field);
        Assert.Contains(fragment, e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(16)]
    [InlineData(-4)]
    public void FrameSlotsArePowersOfTwoUpToEight(int slots)
    {
        var e = Assert.Throws<ConfigException>(() => new BoardConfig { FrameSlots = slots }.Validate());
        Assert.Equal("frameSlots", e.Field);
        Assert.Contains($"got {slots}", e.Message);
        Assert.Throws<ConfigException>(() => FrameReceiver.Build(new BoardConfig { FrameSlots = slots }));
    }

    [Fact]
    public void FourSlotsByDefaultAlsoForTheEmulatedBoard()
    {
        Assert.Equal(4, new BoardConfig().FrameSlots);
        Assert.Equal(4, BoardConfig.Emulated.FrameSlots);
        foreach (int slots in new[] { 1, 2, 4, 8 }) new BoardConfig { FrameSlots = slots }.Validate();
    }

    [Fact]
    public void GeneratingWithABadConfigFailsBeforeAnyText()
    {
        var bad = new BoardConfig { Baud = 40_000_000 };
        Assert.Throws<ConfigException>(() => UartReceiver.Build(bad));
        Assert.Throws<ConfigException>(() => BoardRtl.Build(RtlTestSupport.Small(4), bad));
    }
}

public class BoardCrcAndWordTests
{
    [Fact]
    public void TheCrcTapsAreTheBitSerialStepAndGiveTheStandardCheckValue()
    {
        Assert.Equal(0xCBF43926u, Crc32Step.Compute(Encoding.ASCII.GetBytes("123456789")));
        var rnd = new Random(7);
        for (int i = 0; i < 2000; i++)
        {
            uint r = (uint)rnd.NextInt64(0, 1L << 32);
            byte b = (byte)rnd.Next(256);
            Assert.Equal(Crc32Step.Next(r, b), Crc32Step.NextByTaps(r, b));
        }
    }

    [Fact]
    public void ABodyFollowedByItsCrcLeavesTheResidueAndAnyFlipDoesNot()
    {
        var rnd = new Random(3);
        for (int n = 0; n < 64; n++)
        {
            var body = new byte[n + 4];
            rnd.NextBytes(body.AsSpan(0, n));
            BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(n), Crc32Step.Compute(body.AsSpan(0, n)));
            Assert.Equal(Crc32Step.Residue, Raw(body));
            body[rnd.Next(body.Length)] ^= (byte)(1 << rnd.Next(8));
            Assert.NotEqual(Crc32Step.Residue, Raw(body));
        }

        static uint Raw(byte[] data)
        {
            uint r = 0xFFFFFFFFu;
            foreach (byte b in data) r = Crc32Step.Next(r, b);
            return r;
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(32)]
    public void WriteParamWordIsTheProtocolsParameterWord(int cols)
    {
        // docs/protocol.md: cols 32-bit biases and cols (M 16, S 6) pairs, rounded up to bytes, at least 16.
        int protocolBytes = Math.Max(16, (cols * (32 + 16 + 6) + 7) / 8);
        Assert.Equal(protocolBytes, LinkController.ParameterWordBytes(RtlTestSupport.Small(cols)));
    }

    [Fact]
    public void HelloCarriesTheGeometryTheDramSizeAndTheConfigHash()
    {
        var c = RtlTestSupport.Small(4);
        var data = LinkController.HelloData(c, new BoardConfig { DramBytes = 1 << 20 });
        Assert.Equal(18, data.Length);
        Assert.Equal(new byte[] { 1, 4, 4, 0x00, 0x04, 4 }, data[..6]);  // window: the default four frame slots
        Assert.Equal(1u << 20, BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(6)));
        Assert.Equal(c.Hash(), Convert.ToHexStringLower(data.AsSpan(10)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(8)]
    public void HellosWindowIsTheFrameSlotCount(int slots) =>
        Assert.Equal(slots, LinkController.HelloData(RtlTestSupport.Small(4), new BoardConfig { FrameSlots = slots })[5]);

    [Theory]
    [InlineData(1, 1024, 10)]
    [InlineData(2, 2048, 11)]
    [InlineData(4, 4096, 12)]
    [InlineData(8, 8192, 13)]
    public void TheBodyRamHoldsOneKibOfPayloadPerSlot(int slots, int depth, int addressBits)
    {
        string rx = VerilogEmitter.Emit(FrameReceiver.Build(new BoardConfig { FrameSlots = slots }), ["h"]);
        Assert.Contains($".DEPTH({depth})", rx);
        Assert.Contains($".ADDR_BITS({addressBits})", rx);
        Assert.Contains("input  wire [9:0] rd_addr_i", rx);
        Assert.Equal(slots > 1, rx.Contains("rd_slot"));
    }
}

public class BoardEmissionTests
{
    [Fact]
    public void WriteBoardRtlWritesTheEngineTheBoardModulesAndTheHeader()
    {
        var dir = Path.Combine(Path.GetTempPath(), "accel-board-" + Guid.NewGuid().ToString("N")[..10]);
        try
        {
            var files = EngineGenerator.WriteBoardRtl(RtlTestSupport.Small(4), BoardConfig.Emulated with { DramBytes = 1 << 20 }, dir);
            var names = files.Select(Path.GetFileName).ToList();
            Assert.Contains("accel_top.v", names);
            Assert.True(names.IndexOf("accel_top.v") < names.IndexOf("accel_link_core.v"));
            Assert.Equal(["accel_board_uart.v", "accel_board_xdma.v"], names[^2..]);
            var header = File.ReadAllText(Path.Combine(dir, BoardRtl.ConfigHeader));
            Assert.Contains("#define ACCEL_BOARD_CLOCKS_PER_BIT 4\n", header);
            Assert.Contains("#define ACCEL_BOARD_DRAM_BYTES 1048576ULL\n", header);
            Assert.Contains("#define ACCEL_BOARD_CLOCK_HZ 100000000ULL\n", header);
            Assert.Contains("#define ACCEL_BOARD_FRAME_SLOTS 4\n", header);
            Assert.True(File.Exists(Path.Combine(dir, EngineGenerator.ConfigHeader)));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void TheUartTopHasTheAgreedPorts()
    {
        var c = RtlTestSupport.Small(4);
        var top = UartBoardTop.Build(c, BoardConfig.Emulated);
        var ports = top.Ports.Select(p => $"{(p.Direction == PortDirection.Input ? "in" : "out")} {p.Signal.Name}[{p.Signal.Width}]").ToList();
        Assert.Equal(
        [
            "in clk_i[1]", "in rst_ni[1]", "in uart_rx_i[1]", "out uart_tx_o[1]", "out idle_o[1]",
            "out dram_rd_req_valid_o[1]", "in dram_rd_req_ready_i[1]", "out dram_rd_req_addr_o[32]", $"out dram_rd_req_beats_o[{c.BurstCountBits}]",
            "in dram_rd_valid_i[1]", "in dram_rd_data_i[64]",
            "out dram_wr_valid_o[1]", "in dram_wr_ready_i[1]", "out dram_wr_addr_o[32]", "out dram_wr_data_o[64]", "out dram_wr_strb_o[8]", "in dram_wr_ack_i[1]",
            "out insn_rd_req_valid_o[1]", "in insn_rd_req_ready_i[1]", "out insn_rd_req_addr_o[32]", $"out insn_rd_req_beats_o[{c.BurstCountBits}]",
            "in insn_rd_valid_i[1]", "in insn_rd_data_i[64]",
        ], ports);
    }

    [Fact]
    public void TheXdmaTopHasTheAgreedStreamAndLitePorts()
    {
        var top = XdmaBoardTop.Build(RtlTestSupport.Small(4), new BoardConfig());
        var names = top.Ports.Select(p => p.Signal.Name).ToHashSet();
        foreach (var n in new[]
        {
            "s_axis_h2c_tdata_i", "s_axis_h2c_tkeep_i", "s_axis_h2c_tlast_i", "s_axis_h2c_tvalid_i", "s_axis_h2c_tready_o",
            "m_axis_c2h_tdata_o", "m_axis_c2h_tkeep_o", "m_axis_c2h_tlast_o", "m_axis_c2h_tvalid_o", "m_axis_c2h_tready_i",
            "s_axil_awaddr_i", "s_axil_awvalid_i", "s_axil_awready_o", "s_axil_wdata_i", "s_axil_wstrb_i", "s_axil_wvalid_i", "s_axil_wready_o",
            "s_axil_bresp_o", "s_axil_bvalid_o", "s_axil_bready_i", "s_axil_araddr_i", "s_axil_arvalid_i", "s_axil_arready_o",
            "s_axil_rdata_o", "s_axil_rresp_o", "s_axil_rvalid_o", "s_axil_rready_i", "idle_o", "dram_wr_strb_o", "insn_rd_data_i",
        })
            Assert.Contains(n, names);
    }

    [Fact]
    public void TheUartDividerIsAGenerationTimeConstant()
    {
        string rx = VerilogEmitter.Emit(UartReceiver.Build(new BoardConfig()), ["h"]);
        Assert.Contains("UART receiver, 8N1, 33 clocks per bit", rx);
        Assert.Contains("cnt_d = 6'd32;", rx);   // a data bit: ClocksPerBit - 1
        Assert.Contains("cnt_d = 6'd15;", rx);   // the start bit's middle
    }
}

/// <summary>Both board tops pass Verilator's strict lint, and yosys synthesises the UART top.</summary>
public class BoardLintAndSynthesisTests
{
    private static EngineConfig Config(int n) => n <= 4 ? RtlTestSupport.Small(n)
        : new EngineConfig { Rows = n, Cols = n, InputDepth = 64, OutputDepth = 64, WeightDepth = 64, ParamDepth = 4, AccumulatorDepth = 64 };

    [RequiresToolsTheory("verilator")]
    [InlineData(4, "accel_board_uart", 4)]
    [InlineData(4, "accel_board_xdma", 4)]
    [InlineData(16, "accel_board_uart", 4)]
    [InlineData(16, "accel_board_xdma", 4)]
    [InlineData(4, "accel_board_uart", 1)]
    [InlineData(4, "accel_board_xdma", 1)]
    [InlineData(4, "accel_board_uart", 2)]
    [InlineData(4, "accel_board_xdma", 2)]
    public void BoardTopsPassVerilatorLintWithAllWarnings(int n, string top, int slots)
    {
        var dir = Path.Combine(Path.GetTempPath(), "accel-board-" + Guid.NewGuid().ToString("N")[..10]);
        try
        {
            var files = EngineGenerator.WriteBoardRtl(Config(n), new BoardConfig { FrameSlots = slots }, dir);
            var (code, output) = RtlTestSupport.Run("verilator", ["--lint-only", "-Wall", "--top-module", top, .. files], dir);
            Assert.True(code == 0 && !output.Contains("%Warning"), $"verilator -Wall, {top} at {n}x{n}, {slots} frame slots:\n{output}");
        }
        finally { Directory.Delete(dir, true); }
    }

    [RequiresToolsFact("yosys")]
    public void YosysSynthesizesTheUartTopAndReportsTheLinkCoresCells()
    {
        var dir = Path.Combine(Path.GetTempPath(), "accel-board-" + Guid.NewGuid().ToString("N")[..10]);
        try
        {
            var files = EngineGenerator.WriteBoardRtl(RtlTestSupport.Small(2), new BoardConfig(), dir).Select(Path.GetFileName).ToList();
            var script = $"read_verilog {string.Join(' ', files)}; synth -top accel_board_uart; stat";
            var (code, output) = RtlTestSupport.Run("yosys", ["-p", script], dir);
            Assert.True(code == 0, $"yosys failed:\n{output[^Math.Min(output.Length, 4000)..]}");
            Assert.DoesNotContain("ERROR", output);
            // The link core without the engine (a black box): FFs and the block RAMs (body and response buffers).
            var link = files.Where(f => f!.StartsWith("accel_", StringComparison.Ordinal) && f != "accel_top.v" && BoardFile(f!)).ToList();
            var (code2, stat) = RtlTestSupport.Run("yosys",
                ["-p", $"read_verilog sdp_ram.v {string.Join(' ', link)}; read_verilog -lib accel_top.v; synth_xilinx -top accel_link_core -flatten; stat"], dir);
            Assert.True(code2 == 0, stat[^Math.Min(stat.Length, 4000)..]);
            var summary = stat[stat.LastIndexOf("Number of cells", StringComparison.Ordinal)..];
            int Count(string cell) => System.Text.RegularExpressions.Regex.Matches(summary, $@"^\s+{cell}\w*\s+(\d+)$", System.Text.RegularExpressions.RegexOptions.Multiline)
                .Sum(x => int.Parse(x.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            // The body RAM (four frame slots of 1 KiB: one RAMB36) and the response buffer (one RAMB18);
            // the READ_MEM beat FIFO is LUT RAM.
            Assert.True(Count("RAMB36E1") == 1 && Count("RAMB18E1") == 1, summary);
            Assert.True(Count("FD") is >= 1000 and <= 4000, summary);
            Assert.True(Count("LUT") is >= 1000 and <= 6000, summary);
            Assert.Equal(1, Count("accel_top"));
        }
        finally { Directory.Delete(dir, true); }

        static bool BoardFile(string f) => f is "accel_crc32_step.v" or "accel_uart_rx.v" or "accel_uart_tx.v" or "accel_frame_rx.v"
            or "accel_frame_tx.v" or "accel_link_ctrl.v" or "accel_link_core.v";
    }
}
