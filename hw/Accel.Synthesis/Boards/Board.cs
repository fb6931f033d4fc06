namespace Accel.Synthesis.Boards;

/// <summary>
/// An FPGA board the engine targets: its part and the capacity of each resource the synthesis
/// report counts (docs/synthesis.md; figures from the vendors' data sheets, DESIGN.md "Reference figures").
/// </summary>
public sealed record Board(string Name, string Part, string Description, int Luts, int FlipFlops, int Dsps, int Bram36)
{
    public static Board PynqZ2 { get; } = new("pynq-z2", "xc7z020clg400-1", "TUL PYNQ-Z2 (Zynq-7020)", 53_200, 106_400, 220, 140);
    public static Board ArtyA7_35T { get; } = new("arty-a7-35t", "xc7a35ticsg324-1L", "Digilent Arty A7-35T", 20_800, 41_600, 90, 50);
    public static Board ArtyA7_100T { get; } = new("arty-a7-100t", "xc7a100tcsg324-1", "Digilent Arty A7-100T", 63_400, 126_800, 240, 135);

    /// <summary>Every known board, smallest first.</summary>
    public static IReadOnlyList<Board> All { get; } = [ArtyA7_35T, PynqZ2, ArtyA7_100T];

    public static IEnumerable<string> Names => All.Select(b => b.Name);

    /// <summary>The board called <paramref name="name"/> (case-insensitive); an unknown name lists the known ones.</summary>
    public static Board Get(string name) =>
        All.FirstOrDefault(b => string.Equals(b.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new SynthesisException($"unknown board '{name}': expected one of {string.Join(", ", Names)}");

    /// <summary>Capacity of <paramref name="resource"/> on this board.</summary>
    public double Capacity(Resource resource) => resource switch
    {
        Resource.Lut => Luts,
        Resource.FlipFlop => FlipFlops,
        Resource.Dsp => Dsps,
        Resource.Bram36 => Bram36,
        _ => throw new ArgumentOutOfRangeException(nameof(resource)),
    };
}

/// <summary>The resources a design is checked against a board for.</summary>
public enum Resource
{
    /// <summary>Slice LUTs: logic LUTs plus LUTs used as distributed RAM or shift registers.</summary>
    Lut,
    FlipFlop,
    /// <summary>DSP48E1 slices.</summary>
    Dsp,
    /// <summary>36 Kb block RAMs; a RAMB18E1 counts as half of one.</summary>
    Bram36,
}

public static class ResourceNames
{
    public static IReadOnlyList<Resource> All { get; } = [Resource.Lut, Resource.FlipFlop, Resource.Dsp, Resource.Bram36];

    public static string Label(this Resource r) => r switch
    {
        Resource.Lut => "LUT",
        Resource.FlipFlop => "FF",
        Resource.Dsp => "DSP48",
        Resource.Bram36 => "BRAM36",
        _ => r.ToString(),
    };
}
