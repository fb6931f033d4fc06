using System.Text.Json.Serialization;
using Accel.Synthesis.Boards;

namespace Accel.Synthesis.Yosys;

/// <summary>
/// Xilinx 7-series resources used by a netlist, counted from its cell table (yosys <c>stat</c>
/// after <c>synth_xilinx</c>). What is counted is in docs/synthesis.md:
/// LUTs are logic LUTs (LUT1..LUT6) plus the LUTs that distributed RAM and shift registers
/// occupy (a RAM32M is four LUTs, an SRL16E one); flip-flops are FD* (and LD* latches, which use
/// the same sites); DSPs are DSP48E1; block RAM is counted in 36 Kb blocks, a RAMB18E1 being half.
/// </summary>
public sealed record ResourceUsage
{
    /// <summary>LUT sites a distributed-RAM or shift-register cell occupies on 7-series parts (UG474).</summary>
    public static IReadOnlyDictionary<string, int> MemoryLutCost { get; } = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["RAM32M"] = 4, ["RAM64M"] = 4,
        ["RAM32X1S"] = 1, ["RAM64X1S"] = 1, ["RAM128X1S"] = 2, ["RAM256X1S"] = 4,
        ["RAM32X1D"] = 2, ["RAM64X1D"] = 2, ["RAM128X1D"] = 4,
        ["RAM32X2S"] = 2, ["RAM64X2S"] = 2,
        ["SRL16E"] = 1, ["SRLC16E"] = 1, ["SRLC32E"] = 1,
    };

    /// <summary>LUT1..LUT6 cells.</summary>
    public long LogicLuts { get; init; }
    /// <summary>LUTs used as memory: distributed RAM (LUTRAM) and shift registers (SRL).</summary>
    public long MemoryLuts { get; init; }
    /// <summary>LUTRAM cells (RAM32M, RAM64M, RAM128X1D, ...), by count of cells, not LUTs.</summary>
    public long LutRamCells { get; init; }
    /// <summary>Shift-register cells (SRL16E, SRLC32E).</summary>
    public long SrlCells { get; init; }
    public long FlipFlops { get; init; }
    public long Dsps { get; init; }
    public long Ramb36 { get; init; }
    public long Ramb18 { get; init; }
    /// <summary>Every cell type and its count (the raw <c>stat</c> table of the whole design).</summary>
    public IReadOnlyDictionary<string, long> Cells { get; init; } = new SortedDictionary<string, long>(StringComparer.Ordinal);

    /// <summary>Slice LUTs: logic plus memory LUTs (what a board's LUT capacity counts).</summary>
    public long Luts => LogicLuts + MemoryLuts;
    /// <summary>36 Kb block-RAM equivalents: RAMB36E1 + RAMB18E1 / 2.</summary>
    public double Bram36 => Ramb36 + Ramb18 / 2.0;

    public double Get(Resource resource) => resource switch
    {
        Resource.Lut => Luts,
        Resource.FlipFlop => FlipFlops,
        Resource.Dsp => Dsps,
        Resource.Bram36 => Bram36,
        _ => throw new ArgumentOutOfRangeException(nameof(resource)),
    };

    public static bool IsLogicLut(string cell) => cell.Length == 4 && cell.StartsWith("LUT", StringComparison.Ordinal) && cell[3] is >= '1' and <= '6';
    public static bool IsFlipFlop(string cell) => cell.StartsWith("FD", StringComparison.Ordinal) || cell is "LDCE" or "LDPE" or "LDCE_1" or "LDPE_1";
    public static bool IsDsp(string cell) => cell.StartsWith("DSP48", StringComparison.Ordinal);
    public static bool IsSrl(string cell) => cell.StartsWith("SRL", StringComparison.Ordinal);

    /// <summary>The resources of a cell table (cell type -> count).</summary>
    public static ResourceUsage FromCells(IReadOnlyDictionary<string, long> cells)
    {
        long logic = 0, memLuts = 0, lutram = 0, srl = 0, ff = 0, dsp = 0, b36 = 0, b18 = 0;
        foreach (var (cell, n) in cells)
        {
            if (IsLogicLut(cell)) logic += n;
            else if (IsFlipFlop(cell)) ff += n;
            else if (IsDsp(cell)) dsp += n;
            else if (cell.StartsWith("RAMB36", StringComparison.Ordinal)) b36 += n;
            else if (cell.StartsWith("RAMB18", StringComparison.Ordinal)) b18 += n;
            else if (MemoryLutCost.TryGetValue(cell, out int cost))
            {
                memLuts += cost * n;
                if (IsSrl(cell)) srl += n; else lutram += n;
            }
        }
        return new ResourceUsage
        {
            LogicLuts = logic, MemoryLuts = memLuts, LutRamCells = lutram, SrlCells = srl, FlipFlops = ff, Dsps = dsp,
            Ramb36 = b36, Ramb18 = b18, Cells = new SortedDictionary<string, long>(cells.ToDictionary(), StringComparer.Ordinal),
        };
    }

    [JsonIgnore]
    public string Summary => $"{Luts:N0} LUT ({MemoryLuts:N0} as memory), {FlipFlops:N0} FF, {Dsps} DSP48E1, {Bram36:0.#} BRAM36 ({Ramb36} RAMB36E1 + {Ramb18} RAMB18E1)";
}
