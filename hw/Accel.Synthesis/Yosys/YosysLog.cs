using System.Globalization;
using System.Text.RegularExpressions;

namespace Accel.Synthesis.Yosys;

/// <summary>One module of the synthesized hierarchy: its cells (per instance) and how many instances the design has.</summary>
/// <param name="Name">The yosys module name (parameterized modules are <c>$paramod$HASH\name</c>).</param>
/// <param name="Label">A readable name: the module, and for a parameterized one its parameters (<c>sdp_ram WIDTH=128 DEPTH=1024</c>).</param>
/// <param name="Instances">Instances in the whole design (1 for the top).</param>
/// <param name="Cells">Primitive cells of one instance, submodule instances excluded.</param>
public sealed record ModuleStat(string Name, string Label, long Instances, IReadOnlyDictionary<string, long> Cells)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public ResourceUsage PerInstance => ResourceUsage.FromCells(Cells);
}

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<MemoryKind>))]
public enum MemoryKind { BlockRam, LutRam, FlipFlops, Other }

/// <summary>How yosys mapped one inferred memory (<c>memory_libmap</c>).</summary>
public sealed record MemoryMapping(string Module, string Label, string Memory, string Via, MemoryKind Kind);

/// <summary>One multiplier of the RTL (<c>$mul</c> cell after <c>proc</c>) and whether <c>xilinx_dsp</c> packed it into DSP48E1s.</summary>
public sealed record MultiplierMapping(string Module, string Cell, string Source, bool InDsp);

/// <summary>
/// What a yosys run's log says: the last <c>stat</c> (per module and for the whole hierarchy),
/// the parameters of each derived module, how memories and multipliers were mapped.
/// Written against yosys 0.23's log format; an unparsable part yields empty lists, never an exception.
/// </summary>
public sealed record YosysLog(
    IReadOnlyDictionary<string, long> TotalCells,
    IReadOnlyList<ModuleStat> Modules,
    IReadOnlyList<MemoryMapping> Memories,
    IReadOnlyList<MultiplierMapping> Multipliers)
{
    /// <summary>The script brackets the multiplier listing (<c>select -list t:$mul</c>) with these log lines.</summary>
    public const string MultipliersBegin = "ACCEL-MULTIPLIERS-BEGIN", MultipliersEnd = "ACCEL-MULTIPLIERS-END";

    private static readonly Regex SectionHeader = new(@"^=== (.+) ===$", RegexOptions.Compiled);
    private static readonly Regex CountLine = new(@"^(\s+)(\S+)\s+(\d+)$", RegexOptions.Compiled);
    private static readonly Regex ParameterLine = new(@"^Parameter \\(\w+) = (.+)$", RegexOptions.Compiled);
    private static readonly Regex DerivedModule = new(@"^Generating RTLIL representation for module `(\$paramod[^']*)'", RegexOptions.Compiled);
    private static readonly Regex MappedMemory = new(@"^mapping memory ([^.\s]+)\.(\S+) via (\S+)", RegexOptions.Compiled);
    private static readonly Regex FfMemory = new(@"^using FF mapping for memory ([^.\s]+)\.(\S+)", RegexOptions.Compiled);
    private static readonly Regex DspPacking = new(@"^Analysing (\S+?)\.(\$mul\$\S+?\$\d+)\S* for Xilinx DSP packing", RegexOptions.Compiled);
    private static readonly Regex ListedMultiplier = new(@"^(\S+)/(\$mul\$(\S+)\$\d+)$", RegexOptions.Compiled);

    /// <summary>Parses a full log (or just the text of one <c>stat</c>).</summary>
    public static YosysLog Parse(string log)
    {
        var lines = log.Replace("\r", "").Split('\n');
        var labels = DerivedModuleLabels(lines);
        var (modules, totals) = ParseLastStat(lines, labels);
        return new YosysLog(totals, modules, ParseMemories(lines, labels), ParseMultipliers(lines));
    }

    /// <summary>The parameters yosys derived each <c>$paramod</c> module with, as a label.</summary>
    public static IReadOnlyDictionary<string, string> DerivedModuleLabels(IReadOnlyList<string> lines)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var parameters = new List<string>();
        foreach (var line in lines)
        {
            if (line.Contains("Executing AST frontend in derive mode", StringComparison.Ordinal)) { parameters.Clear(); continue; }
            var p = ParameterLine.Match(line);
            if (p.Success) { parameters.Add($"{p.Groups[1].Value}={p.Groups[2].Value.Trim()}"); continue; }
            var d = DerivedModule.Match(line);
            if (d.Success)
            {
                var name = d.Groups[1].Value;
                int slash = name.LastIndexOf('\\');
                string baseName = slash >= 0 ? name[(slash + 1)..] : name;
                labels.TryAdd(name, parameters.Count == 0 ? baseName : $"{baseName} {string.Join(' ', parameters)}");
                parameters.Clear();
            }
        }
        return labels;
    }

    private static string Label(string module, IReadOnlyDictionary<string, string> labels) =>
        labels.TryGetValue(module, out var l) ? l : module.TrimStart('\\');

    private static (IReadOnlyList<ModuleStat>, IReadOnlyDictionary<string, long>) ParseLastStat(string[] lines, IReadOnlyDictionary<string, string> labels)
    {
        // The last statistics the log holds (synth_xilinx prints its own before the script's `stat`).
        int start = Array.FindLastIndex(lines, l => l.TrimEnd().EndsWith("Printing statistics.", StringComparison.Ordinal));
        if (start < 0) start = 0;

        var moduleCells = new Dictionary<string, Dictionary<string, long>>(StringComparer.Ordinal);
        var order = new List<string>();
        var hierarchy = new List<(int Indent, string Name, long Count)>();
        Dictionary<string, long>? hierarchyTotals = null;
        string? section = null;
        bool inCells = false, inTree = false;
        for (int i = start; i < lines.Length; i++)
        {
            var line = lines[i];
            var header = SectionHeader.Match(line);
            if (header.Success)
            {
                section = header.Groups[1].Value;
                inCells = false;
                inTree = section == "design hierarchy";
                if (inTree) hierarchyTotals = new Dictionary<string, long>(StringComparer.Ordinal);
                else if (!moduleCells.ContainsKey(section)) { moduleCells[section] = new(StringComparer.Ordinal); order.Add(section); }
                continue;
            }
            if (section is null) continue;
            // Another pass after the statistics ends them (e.g. "17. Executing CHECK pass").
            if (Regex.IsMatch(line, @"^\d+(\.\d+)*\. ")) break;
            var trimmed = line.Trim();
            if (trimmed.StartsWith("Number of cells:", StringComparison.Ordinal)) { inCells = true; inTree = false; continue; }
            if (trimmed.Length == 0) { inCells = false; continue; }
            if (trimmed.StartsWith("Number of ", StringComparison.Ordinal) || trimmed.StartsWith("Estimated", StringComparison.Ordinal)
                || trimmed.StartsWith("Chip area", StringComparison.Ordinal))
            {
                inCells = false;
                if (section == "design hierarchy") inTree = false;
                continue;
            }
            var m = CountLine.Match(line);
            if (!m.Success) continue;
            long n = long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            if (section == "design hierarchy")
            {
                if (inTree) hierarchy.Add((m.Groups[1].Value.Length, m.Groups[2].Value, n));
                else if (inCells) hierarchyTotals![m.Groups[2].Value] = n;
            }
            else if (inCells) moduleCells[section][m.Groups[2].Value] = n;
        }

        var moduleNames = moduleCells.Keys.ToHashSet(StringComparer.Ordinal);
        var instances = InstanceCounts(hierarchy, moduleCells, order);
        var modules = order.Select(name => new ModuleStat(name, Label(name, labels), instances.GetValueOrDefault(name, 0),
            new SortedDictionary<string, long>(moduleCells[name].Where(kv => !moduleNames.Contains(kv.Key)).ToDictionary(), StringComparer.Ordinal)))
            .ToList();

        IReadOnlyDictionary<string, long> totals;
        if (hierarchyTotals is { Count: > 0 }) totals = new SortedDictionary<string, long>(hierarchyTotals, StringComparer.Ordinal);
        else
        {
            // No hierarchy section (one module, or a flattened design): sum the modules by instance count.
            var sum = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var mod in modules)
                foreach (var (cell, n) in mod.Cells)
                    sum[cell] = sum.GetValueOrDefault(cell) + n * Math.Max(1, mod.Instances);
            totals = sum;
        }
        return (modules, totals);
    }

    /// <summary>
    /// Instances of each module in the whole design: the hierarchy tree gives counts per parent
    /// instance (indented by two spaces a level), so a path's counts multiply and paths add.
    /// </summary>
    private static Dictionary<string, long> InstanceCounts(List<(int Indent, string Name, long Count)> tree,
        Dictionary<string, Dictionary<string, long>> moduleCells, List<string> order)
    {
        var total = new Dictionary<string, long>(StringComparer.Ordinal);
        if (tree.Count == 0)
        {
            // One module: it is the top.
            if (order.Count == 1) total[order[0]] = 1;
            return total;
        }
        var stack = new List<(int Indent, long Multiplier)>();
        foreach (var (indent, name, count) in tree)
        {
            while (stack.Count > 0 && stack[^1].Indent >= indent) stack.RemoveAt(stack.Count - 1);
            long mult = (stack.Count == 0 ? 1 : stack[^1].Multiplier) * count;
            total[name] = total.GetValueOrDefault(name) + mult;
            stack.Add((indent, mult));
        }
        return total;
    }

    private static IReadOnlyList<MemoryMapping> ParseMemories(string[] lines, IReadOnlyDictionary<string, string> labels)
    {
        var result = new List<MemoryMapping>();
        foreach (var line in lines)
        {
            var m = MappedMemory.Match(line);
            if (m.Success)
            {
                string via = m.Groups[3].Value;
                var kind = via.Contains("BLOCKRAM", StringComparison.OrdinalIgnoreCase) || via.Contains("RAMB", StringComparison.Ordinal) ? MemoryKind.BlockRam
                    : via.Contains("LUTRAM", StringComparison.OrdinalIgnoreCase) ? MemoryKind.LutRam : MemoryKind.Other;
                result.Add(new MemoryMapping(m.Groups[1].Value, Label(m.Groups[1].Value, labels), m.Groups[2].Value, via, kind));
                continue;
            }
            var f = FfMemory.Match(line);
            if (f.Success)
                result.Add(new MemoryMapping(f.Groups[1].Value, Label(f.Groups[1].Value, labels), f.Groups[2].Value, "flip-flops", MemoryKind.FlipFlops));
        }
        return result;
    }

    private static IReadOnlyList<MultiplierMapping> ParseMultipliers(string[] lines)
    {
        var packed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var m = DspPacking.Match(line);
            if (m.Success) packed.Add($"{m.Groups[1].Value}/{m.Groups[2].Value}");
        }
        var result = new List<MultiplierMapping>();
        int begin = Array.FindIndex(lines, l => l.Trim() == MultipliersBegin);
        if (begin < 0) return result;
        for (int i = begin + 1; i < lines.Length && lines[i].Trim() != MultipliersEnd; i++)
        {
            var m = ListedMultiplier.Match(lines[i].Trim());
            if (!m.Success) continue;
            string key = $"{m.Groups[1].Value}/{m.Groups[2].Value}";
            result.Add(new MultiplierMapping(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value, packed.Contains(key)));
        }
        return result.OrderBy(r => r.Module, StringComparer.Ordinal).ThenBy(r => r.Source, StringComparer.Ordinal).ToList();
    }
}
