using System.Text.Json;

namespace Accel.Cosim.Verilator;

/// <summary>An instruction retirement (insn_retire_o pulse) during a run.</summary>
/// <param name="RetireCycle">Cycle of the pulse, counted from the start pulse (which is cycle 1).</param>
/// <param name="ActiveCycles">active_cycles_o at that cycle.</param>
public sealed record RetiredInstruction(ulong RetireCycle, ulong ActiveCycles);

/// <summary>One RUN command's outcome.</summary>
/// <param name="Cycles">Cycles from the start pulse to done_o inclusive (or to the limit, when timed out).</param>
/// <param name="ActiveCycles">active_cycles_o at done_o.</param>
public sealed record HarnessRun(ulong Cycles, ulong ActiveCycles, bool TimedOut, IReadOnlyList<RetiredInstruction> Instructions);

/// <summary>
/// The testbench's JSON report. <see cref="HostWordBytes"/> and <see cref="ActWordBytes"/> are the
/// build's ACCEL_HOST_BITS/8 and ACCEL_ACT_BITS/8 (0 if a report lacks them).
/// </summary>
public sealed record HarnessReport(
    string ConfigHash,
    int Rows,
    int Cols,
    IReadOnlyList<HarnessRun> Runs,
    ulong TotalSimCycles,
    double WallSeconds,
    int HostWordBytes = 0,
    int ActWordBytes = 0)
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
                root.TryGetProperty("actWordBytes", out var act) ? act.GetInt32() : 0);
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
        [.. Required(run, "instructions").EnumerateArray().Select(i => new RetiredInstruction(
            Required(i, "retireCycle").GetUInt64(), Required(i, "activeCycles").GetUInt64()))]);

    private static JsonElement Required(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value : throw new FormatException($"missing \"{name}\"");
}
