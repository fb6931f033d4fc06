using System.ComponentModel;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Accel.Hardware;
using Accel.Hardware.Config;
using Accel.Model.Data;

namespace Accel.Synthesis.Yosys;

/// <summary>How <see cref="YosysSynth"/> runs.</summary>
public sealed record SynthesisOptions
{
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromMinutes(30);

    /// <summary>Wall-clock limit of one yosys run; past it yosys is killed and the run fails.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;
    /// <summary>Where results are cached (null: <see cref="YosysSynth.DefaultCacheDirectory"/>).</summary>
    public string? CacheDirectory { get; init; }
    /// <summary>False: always run yosys (the result is still written to the cache).</summary>
    public bool UseCache { get; init; } = true;
    /// <summary>The yosys executable (looked up on PATH).</summary>
    public string Yosys { get; init; } = "yosys";
}

/// <summary>One synthesis of one engine configuration: resources, per-module breakdown, mapping checks.</summary>
public sealed record SynthesisResult
{
    public required string ConfigHash { get; init; }
    public required string RtlHash { get; init; }
    /// <summary>The resolved configuration the RTL was generated from (its JSON form).</summary>
    public required JsonObject Config { get; init; }
    public required int Rows { get; init; }
    public required int Cols { get; init; }
    public required ResourceUsage Usage { get; init; }
    public required IReadOnlyList<ModuleStat> Modules { get; init; }
    public required IReadOnlyList<MemoryMapping> Memories { get; init; }
    public required IReadOnlyList<MultiplierMapping> Multipliers { get; init; }
    /// <summary>Multipliers outside DSP48E1s, buffers outside block RAM, parse problems.</summary>
    public required IReadOnlyList<string> Warnings { get; init; }
    public required string YosysVersion { get; init; }
    public required string Script { get; init; }
    /// <summary>Wall time of the yosys run that produced this result (a cache hit keeps the original's).</summary>
    public required double YosysSeconds { get; init; }
    public DateTimeOffset SynthesizedAt { get; init; }
    /// <summary>True when this result was read from the cache rather than produced by running yosys now.</summary>
    public bool FromCache { get; init; }
    public string? CacheFile { get; init; }
    public string? LogFile { get; init; }

    [JsonIgnore] public string Key => $"{ConfigHash}-{RtlHash}";
}

/// <summary>
/// Synthesizes an engine with yosys for Xilinx 7-series parts (<c>synth_xilinx -family xc7</c>)
/// and counts its resources. The generated RTL is written to a scratch folder, yosys runs there
/// with a time limit, and the result is cached as JSON under
/// <c>build/synth-cache/&lt;config hash&gt;-&lt;rtl content hash&gt;.json</c> (the yosys log beside it),
/// so a repeated request is answered without running yosys. See docs/synthesis.md.
/// </summary>
public static class YosysSynth
{
    public const string CacheEnvironmentVariable = "ACCEL_SYNTH_CACHE";
    public const string Top = "accel_top";

    /// <summary>
    /// Hierarchy kept (each module synthesized once, so the PE's mapping is read once and the stat
    /// breaks resources down by module); <c>-noiopad</c>: out of context, the engine's ports are
    /// not device pins. The multiplier listing before synthesis lets the log say which ones went to
    /// DSPs; <c>opt_expr</c> first turns products with a constant power of two into shifts, so only
    /// real multipliers are listed.
    /// </summary>
    public static string Script(IEnumerable<string> verilogFiles) =>
        $"read_verilog {string.Join(' ', verilogFiles)}; hierarchy -top {Top}; proc; opt_expr; opt_clean; " +
        $"log {YosysLog.MultipliersBegin}; select -list t:$mul; log {YosysLog.MultipliersEnd}; " +
        $"synth_xilinx -family xc7 -top {Top} -noiopad; stat";

    /// <summary>$ACCEL_SYNTH_CACHE, else build/synth-cache under the repository root, else a folder under the temp directory.</summary>
    public static string DefaultCacheDirectory
    {
        get
        {
            var env = Environment.GetEnvironmentVariable(CacheEnvironmentVariable);
            if (!string.IsNullOrEmpty(env)) return Path.GetFullPath(env);
            return SharedData.RepositoryRoot is { } root
                ? Path.Combine(root, "build", "synth-cache")
                : Path.Combine(Path.GetTempPath(), "accel-synth-cache");
        }
    }

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>True when the yosys executable can be started.</summary>
    public static bool Available(string yosys = "yosys")
    {
        try { return ProcessRunner.Run(yosys, ["-V"], Directory.GetCurrentDirectory(), TimeSpan.FromSeconds(30)).ExitCode == 0; }
        catch (Win32Exception) { return false; }
    }

    /// <summary>The cache file a configuration's synthesis is (or would be) stored in.</summary>
    public static string CachePath(EngineConfig resolvedConfig, SynthesisOptions? options = null)
    {
        var (_, key) = Prepare(resolvedConfig, null);
        return Path.Combine(options?.CacheDirectory ?? DefaultCacheDirectory, key + ".json");
    }

    /// <summary>Synthesizes <paramref name="resolvedConfig"/> (buffer depths set, e.g. by <c>ScheduleCompiler.Plan</c>), or answers from the cache.</summary>
    /// <exception cref="SynthesisException">yosys missing, failing or past its time limit.</exception>
    public static SynthesisResult Run(EngineConfig resolvedConfig, SynthesisOptions? options = null)
    {
        options ??= new SynthesisOptions();
        if (!resolvedConfig.IsResolved)
            throw new SynthesisException("the configuration's buffer depths are not resolved: plan a network on it first (ScheduleCompiler.Plan)");
        string cacheDir = options.CacheDirectory ?? DefaultCacheDirectory;
        string work = Path.Combine(Path.GetTempPath(), "accel-synth-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var (files, key) = Prepare(resolvedConfig, work);
            string cacheFile = Path.Combine(cacheDir, key + ".json");
            string logFile = Path.Combine(cacheDir, key + ".log");
            if (options.UseCache && TryLoad(cacheFile) is { } cached)
                return cached with { FromCache = true, CacheFile = cacheFile, LogFile = File.Exists(logFile) ? logFile : null };

            string script = Script(files.Select(Path.GetFileName)!);
            ProcessRunner.Outcome outcome;
            try
            {
                outcome = ProcessRunner.Run(options.Yosys, ["-q", "-q", "-l", "yosys.log", "-p", script], work, options.Timeout);
            }
            catch (Win32Exception)
            {
                throw new SynthesisException($"{options.Yosys} was not found on PATH: run scripts/setup.sh (it installs yosys with apt-get), or install yosys 0.23 or later");
            }
            string logPath = Path.Combine(work, "yosys.log");
            string log = File.Exists(logPath) ? File.ReadAllText(logPath) : "";
            if (outcome.TimedOut)
                throw new SynthesisException($"yosys did not finish within {outcome.Elapsed.TotalSeconds:F0} s for the {resolvedConfig} engine: raise the time limit (--timeout SECONDS)");
            if (outcome.ExitCode != 0)
                throw new SynthesisException($"yosys failed (exit code {outcome.ExitCode}) for the {resolvedConfig} engine:\n{Tail(outcome.Output + "\n" + log, 30)}");

            var result = Analyze(log, resolvedConfig, key, script, outcome.Elapsed.TotalSeconds);
            Directory.CreateDirectory(cacheDir);
            File.Copy(logPath, logFile, overwrite: true);
            string tmp = cacheFile + "." + Environment.ProcessId + ".tmp";
            File.WriteAllText(tmp, JsonSerializer.Serialize(result, JsonOptions));
            File.Move(tmp, cacheFile, overwrite: true);
            return result with { CacheFile = cacheFile, LogFile = logFile };
        }
        finally
        {
            try { if (Directory.Exists(work)) Directory.Delete(work, recursive: true); }
            catch (IOException) { /* best effort */ }
        }
    }

    /// <summary>Builds a result from a yosys log (the parse and the mapping checks; no process is run).</summary>
    public static SynthesisResult Analyze(string log, EngineConfig config, string key, string script, double seconds)
    {
        var parsed = YosysLog.Parse(log);
        var usage = ResourceUsage.FromCells(parsed.TotalCells);
        var version = Regex.Match(log, @"^Yosys (\S+)", RegexOptions.Multiline);
        int dash = key.IndexOf('-');
        return new SynthesisResult
        {
            ConfigHash = dash > 0 ? key[..dash] : config.Hash(),
            RtlHash = dash > 0 ? key[(dash + 1)..] : "",
            Config = ConfigJson(config),
            Rows = config.Rows,
            Cols = config.Cols,
            Usage = usage,
            Modules = parsed.Modules,
            Memories = parsed.Memories,
            Multipliers = parsed.Multipliers,
            Warnings = Check(parsed, usage),
            YosysVersion = version.Success ? version.Groups[1].Value : "unknown",
            Script = script,
            YosysSeconds = Math.Round(seconds, 2),
            SynthesizedAt = DateTimeOffset.UtcNow,
        };
    }

    /// <summary>A buffer bigger than this many bits should be in block RAM; smaller ones may fairly be LUTRAM.</summary>
    public const long LutRamBitsLimit = 18 * 1024;

    /// <summary>
    /// The mapping checks: every multiplier in DSP48E1s, every large buffer in block RAM, nothing
    /// mapped to flip-flops; each problem is one line naming the module and the source line.
    /// </summary>
    public static IReadOnlyList<string> Check(YosysLog log, ResourceUsage usage)
    {
        var warnings = new List<string>();
        if (log.TotalCells.Count == 0) warnings.Add("no cell statistics found in the yosys log (is this yosys 0.23 or later?)");
        if (log.Multipliers.Count == 0)
            warnings.Add("the yosys log lists no multipliers; the DSP mapping could not be checked");
        foreach (var m in log.Multipliers.Where(m => !m.InDsp))
            warnings.Add($"multiplier {m.Source} in {m.Module} is not in a DSP48E1 (mapped to LUTs or removed)");
        var sizes = log.Modules.ToDictionary(m => m.Name, m => MemoryBits(m.Label), StringComparer.Ordinal);
        foreach (var mem in log.Memories)
        {
            long bits = sizes.GetValueOrDefault(mem.Module);
            if (mem.Kind == MemoryKind.FlipFlops)
                warnings.Add($"memory {mem.Label} ({mem.Memory}) is built from flip-flops, not block RAM");
            else if (mem.Kind == MemoryKind.LutRam && bits > LutRamBitsLimit)
                warnings.Add($"memory {mem.Label} ({bits:N0} bits) is in distributed RAM (LUTs), not block RAM");
        }
        if (usage.Dsps == 0 && log.Multipliers.Count > 0) warnings.Add("no DSP48E1 in the netlist although the RTL multiplies");
        return warnings;
    }

    /// <summary>WIDTH x DEPTH of a parameterized memory module's label (<c>sdp_ram WIDTH=8 DEPTH=16 ...</c>), else 0.</summary>
    public static long MemoryBits(string label)
    {
        var w = Regex.Match(label, @"\bWIDTH=(\d+)");
        var d = Regex.Match(label, @"\bDEPTH=(\d+)");
        return w.Success && d.Success
            ? long.Parse(w.Groups[1].Value, CultureInfo.InvariantCulture) * long.Parse(d.Groups[1].Value, CultureInfo.InvariantCulture)
            : 0;
    }

    /// <summary>The configuration as JSON (every public property, derived sizes included).</summary>
    public static JsonObject ConfigJson(EngineConfig config)
    {
        try { return JsonSerializer.SerializeToNode(config, JsonOptions)!.AsObject(); }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException)
        {
            return new JsonObject { ["hash"] = config.Hash(), ["array"] = config.ToString() };
        }
    }

    /// <summary>Writes the RTL (into <paramref name="directory"/>, or a scratch folder deleted afterwards) and computes the cache key.</summary>
    private static (IReadOnlyList<string> Files, string Key) Prepare(EngineConfig config, string? directory)
    {
        string dir = directory ?? Path.Combine(Path.GetTempPath(), "accel-synth-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var files = EngineGenerator.WriteRtl(config, dir).Where(f => f.EndsWith(".v", StringComparison.Ordinal)).ToList();
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            sha.AppendData(Encoding.UTF8.GetBytes(Script(files.Select(Path.GetFileName)!)));
            foreach (var file in files.OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal))
            {
                sha.AppendData(Encoding.UTF8.GetBytes("\0" + Path.GetFileName(file) + "\0"));
                sha.AppendData(File.ReadAllBytes(file));
            }
            string rtlHash = Convert.ToHexStringLower(sha.GetHashAndReset())[..16];
            return (files, $"{config.Hash()}-{rtlHash}");
        }
        finally
        {
            if (directory is null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    private static SynthesisResult? TryLoad(string path)
    {
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<SynthesisResult>(File.ReadAllText(path), JsonOptions); }
        catch (JsonException) { return null; }
    }

    private static string Tail(string text, int lines)
    {
        var all = text.Replace("\r", "").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }
}
