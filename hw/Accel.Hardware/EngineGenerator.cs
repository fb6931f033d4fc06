using System.Globalization;
using System.Text;
using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Hardware.Rtl;
using Accel.Hardware.Schedule;
using Accel.Model.Data;

namespace Accel.Hardware;

/// <summary>
/// Writes everything a schedule's engine needs: one Verilog file per generated module, the
/// hand-written primitives, <c>accel_config.h</c> and <c>AccelConfig.g.cs</c> (the constants the
/// harness and host code compile against), the program image and the schedule report.
/// </summary>
public static class EngineGenerator
{
    public const string ConfigHeader = "accel_config.h";

    /// <summary>Generated and primitive Verilog files written to <paramref name="directory"/>, in dependency order.</summary>
    public static IReadOnlyList<string> WriteRtl(EngineConfig config, string directory)
    {
        Directory.CreateDirectory(directory);
        var header = EngineRtl.Header(config);
        var files = new List<string>();
        foreach (var primitive in EngineRtl.Primitives)
        {
            var target = Path.Combine(directory, primitive);
            File.WriteAllText(target, File.ReadAllText(PrimitivePath(primitive)));
            files.Add(target);
        }
        foreach (var module in EngineRtl.Build(config))
        {
            var target = Path.Combine(directory, module.Name + ".v");
            WriteIfChanged(target, VerilogEmitter.Emit(module, header));
            files.Add(target);
        }
        WriteIfChanged(Path.Combine(directory, ConfigHeader), CHeader(config));
        WriteIfChanged(Path.Combine(directory, "AccelConfig.g.cs"), CSharpConstants(config));
        return files;
    }

    /// <summary>
    /// The engine RTL (as <see cref="WriteRtl"/>), the board link's modules (tops <c>accel_board_uart</c> and
    /// <c>accel_board_xdma</c>) and <c>accel_board_config.h</c>; returns the Verilog files in dependency order.
    /// </summary>
    public static IReadOnlyList<string> WriteBoardRtl(EngineConfig engine, Board.BoardConfig board, string directory)
    {
        board.Validate();
        var files = WriteRtl(engine, directory).ToList();
        var header = Board.BoardRtl.Header(engine, board);
        foreach (var module in Board.BoardRtl.Build(engine, board))
        {
            var target = Path.Combine(directory, module.Name + ".v");
            WriteIfChanged(target, VerilogEmitter.Emit(module, header));
            files.Add(target);
        }
        WriteIfChanged(Path.Combine(directory, Board.BoardRtl.ConfigHeader), Board.BoardRtl.CHeader(engine, board));
        return files;
    }

    /// <summary>RTL plus the program image (<c>program.hex</c>) and the report (<c>schedule.md</c>).</summary>
    public static IReadOnlyList<string> Write(EngineSchedule schedule, string directory)
    {
        var files = WriteRtl(schedule.Config, directory).ToList();
        files.Add(Path.Combine(directory, ConfigHeader));
        files.Add(Path.Combine(directory, "AccelConfig.g.cs"));
        var hex = new StringBuilder();
        int digits = (schedule.Format.Bits + 3) / 4;
        foreach (var word in EngineImage.EncodeProgram(schedule))
            hex.AppendLine(word.ToString("x", CultureInfo.InvariantCulture).TrimStart('0').PadLeft(digits, '0')[^digits..]);
        var programPath = Path.Combine(directory, "program.hex");
        File.WriteAllText(programPath, hex.ToString());
        var reportPath = Path.Combine(directory, "schedule.md");
        File.WriteAllText(reportPath, ScheduleReport.Markdown(schedule));
        files.Add(programPath);
        files.Add(reportPath);
        return files;
    }

    public static string CHeader(EngineConfig c)
    {
        var f = new InstructionFormat(c);
        var sb = new StringBuilder();
        sb.AppendLine($"// {EngineRtl.Header(c)[0]}");
        sb.AppendLine("#pragma once");
        foreach (var (name, value) in Constants(c, f))
            sb.AppendLine(CultureInfo.InvariantCulture, $"#define ACCEL_{name} {value}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"#define ACCEL_CONFIG_HASH \"{c.Hash()}\"");
        return sb.ToString();
    }

    public static string CSharpConstants(EngineConfig c)
    {
        var f = new InstructionFormat(c);
        var sb = new StringBuilder();
        sb.AppendLine($"// {EngineRtl.Header(c)[0]}");
        sb.AppendLine("namespace Accel.Generated;");
        sb.AppendLine();
        sb.AppendLine("public static class AccelConfig");
        sb.AppendLine("{");
        foreach (var (name, value) in Constants(c, f))
            sb.AppendLine(CultureInfo.InvariantCulture, $"    public const int {ToPascal(name)} = {value};");
        sb.AppendLine(CultureInfo.InvariantCulture, $"    public const string ConfigHash = \"{c.Hash()}\";");
        sb.AppendLine("}");
        return sb.ToString();
    }

    private static IEnumerable<(string Name, long Value)> Constants(EngineConfig c, InstructionFormat f) =>
    [
        ("ROWS", c.Rows), ("COLS", c.Cols), ("ACC_BITS", c.AccumulatorBits),
        ("HOST_BITS", Engine.Top.HostBits(c)), ("ACT_BITS", c.ActivationWordBits), ("WEIGHT_BITS", c.WeightWordBits),
        ("PARAM_BITS", c.ParamWordBits), ("INSN_BITS", f.Bits), ("INSN_BEATS", f.DramBeats), ("INSN_BYTES", f.DramBytes),
        ("INPUT_DEPTH", c.InputDepth), ("OUTPUT_DEPTH", c.OutputDepth), ("WEIGHT_DEPTH", c.WeightDepth), ("PARAM_DEPTH", c.ParamDepth!.Value),
        ("FETCH_QUEUE_DEPTH", c.FetchQueueDepth), ("ACC_DEPTH", c.AccumulatorDepth),
        ("DRAM_BITS", c.DramBits), ("DRAM_BURST_BEATS", c.DramBurstBeats), ("DRAM_WORD_BYTES", c.DramWordBytes), ("BEATS_PER_WORD", c.BeatsPerWord),
    ];

    private static string ToPascal(string name) =>
        string.Concat(name.Split('_').Select(p => p[0] + p[1..].ToLowerInvariant()));

    private static void WriteIfChanged(string path, string text)
    {
        if (File.Exists(path) && File.ReadAllText(path) == text) return;
        File.WriteAllText(path, text);
    }

    /// <summary>hw/rtl/NAME in the repository (or next to the assembly when installed).</summary>
    public static string PrimitivePath(string name)
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "rtl", name);
        if (File.Exists(beside)) return beside;
        var root = SharedData.RepositoryRoot ?? throw new FileNotFoundException($"hw/rtl/{name}: repository not found");
        return Path.Combine(root, "hw", "rtl", name);
    }
}
