using System.Text.Json;

namespace Accel.Cosim.Verilator;

/// <summary>
/// One unit completing an instruction (<see cref="Unit"/>: 0 load, 1 compute, 2 store) at a cycle of its run;
/// <see cref="LoadBusyCycles"/> is the load unit's busy count then (the difference between load events is a load's busy time).
/// </summary>
public sealed record UnitEvent(int Unit, ulong Cycle, ulong ActiveCycles, ulong LoadBusyCycles = 0);

/// <summary>The memory model's counters over the whole simulation: the data port's, then the instruction port's reads.</summary>
public sealed record DramCounters(ulong ReadRequests, ulong ReadBeats, ulong WriteBeats, ulong InstructionReadRequests = 0, ulong InstructionReadBeats = 0);

/// <summary>One RUN command's outcome.</summary>
/// <param name="Cycles">Cycles from the start pulse to done_o inclusive (or to the limit, when timed out).</param>
/// <param name="ActiveCycles">active_cycles_o at done_o.</param>
public sealed record HarnessRun(ulong Cycles, ulong ActiveCycles, bool TimedOut, IReadOnlyList<UnitEvent> Events);

/// <summary>
/// The testbench's JSON report. <see cref="HostWordBytes"/> and <see cref="DramBeatBytes"/> are the
/// build's ACCEL_HOST_BITS/8 and ACCEL_DRAM_BITS/8 (0 if a report lacks them). Event cycles count
/// from the start pulse (cycle 1).
/// </summary>
public sealed record HarnessReport(
    string ConfigHash,
    int Rows,
    int Cols,
    IReadOnlyList<HarnessRun> Runs,
    ulong TotalSimCycles,
    double WallSeconds,
    int HostWordBytes = 0,
    int DramBeatBytes = 0,
    DramCounters? Dram = null)
{
    public bool TimedOut => Runs.Any(r => r.TimedOut);

    public static HarnessReport Load(string path) => Parse(File.ReadAllText(path));

    /// <exception cref="CosimException">The text is not a report; the message says what is missing.</exception>
    public static HarnessReport Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var runs = Required(root, "runs").EnumerateArray().Select(ParseRun).ToArray();
            return new HarnessReport(
                Required(root, "configHash").GetString() ?? "",
                Required(root, "rows").GetInt32(),
                Required(root, "cols").GetInt32(),
                runs,
                Required(root, "totalSimCycles").GetUInt64(),
                Required(root, "wallSeconds").GetDouble(),
                root.TryGetProperty("hostWordBytes", out var host) ? host.GetInt32() : 0,
                root.TryGetProperty("dramBeatBytes", out var beat) ? beat.GetInt32() : 0,
                root.TryGetProperty("dram", out var dram)
                    ? new DramCounters(Required(dram, "readRequests").GetUInt64(), Required(dram, "readBeats").GetUInt64(), Required(dram, "writeBeats").GetUInt64(),
                        Required(dram, "insnReadRequests").GetUInt64(), Required(dram, "insnReadBeats").GetUInt64())
                    : null);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new CosimException($"harness report is malformed: {e.Message}", e);
        }
    }

    private static HarnessRun ParseRun(JsonElement run) => new(
        Required(run, "cycles").GetUInt64(),
        Required(run, "activeCycles").GetUInt64(),
        Required(run, "timedOut").GetBoolean(),
        [.. Required(run, "events").EnumerateArray().Select(i => new UnitEvent(
            Required(i, "unit").GetInt32(), Required(i, "cycle").GetUInt64(), Required(i, "activeCycles").GetUInt64(),
            i.TryGetProperty("loadBusyCycles", out var load) ? load.GetUInt64() : 0))]);

    private static JsonElement Required(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value : throw new FormatException($"missing \"{name}\"");
}
