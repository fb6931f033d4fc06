using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Accel.Model.Data;

namespace Accel.Cosim.Verilator;

/// <summary>A built testbench executable.</summary>
/// <param name="Executable">Path of the executable (<c>accel_tb</c> unless the build names another).</param>
/// <param name="Directory">The cache directory holding it (also the sources it was built from and the build log).</param>
/// <param name="FromCache">True when an earlier build (of this or another process) was reused.</param>
/// <param name="BuildTime">Time this call took, including waiting for another process building the same thing.</param>
public sealed record BuildResult(string Executable, string Directory, bool FromCache, TimeSpan BuildTime);

/// <summary>
/// Verilates the RTL together with one C++ harness (sim/harness) into an executable, cached by
/// content: the key is a SHA-256 over verilator's version, the flags (top module included), the
/// executable's name, every RTL file's name and content, the harness main file and the shared
/// headers, and the configuration headers, so an unchanged design is never recompiled. By default
/// the top is <c>accel_top</c>, the main file <c>accel_tb.cpp</c> and the executable <c>accel_tb</c>
/// (the cosim testbench); the board emulator names <c>accel_board_uart</c>, <c>board_emu.cpp</c> and
/// <c>accel_board_emu</c>. Only the main file is compiled; the harness directory's headers are
/// shared by every harness.
/// Processes building the same key at once (regression shards) serialise on a lock file: one builds,
/// the others wait and reuse. A build goes to a temporary directory that is renamed into place only
/// after it succeeded, so a half-built directory is never mistaken for a good one.
/// </summary>
public sealed class VerilatorBuild
{
    public const string CacheEnvironmentVariable = "ACCEL_COSIM_CACHE";
    /// <summary>The default executable: the cosim testbench.</summary>
    public const string ExecutableName = "accel_tb";
    public const string StampFileName = "stamp";
    public const string LogFileName = "build.log";
    public const string ConfigHeaderName = "accel_config.h";
    /// <summary>The default top module: the engine.</summary>
    public const string TopModule = "accel_top";

    /// <summary>The default harness main file.</summary>
    public const string HarnessMainFile = "accel_tb.cpp";

    private const string KeyFormatVersion = "accel-cosim-build/1";
    private const string CompilerFlags = "-O2";
    private static readonly string[] HeaderExtensions = [".h", ".hpp"];
    private static readonly string[] CompiledRtlExtensions = [".v", ".sv"];
    private static readonly ConcurrentDictionary<string, string> VersionByExecutable = new();

    /// <param name="rtlSources">Verilog files; .v/.sv are compiled, other files (includes) only hashed and found through -I.</param>
    /// <param name="configDirectory">Directory holding the generator's accel_config.h.</param>
    /// <param name="trace">Compile VCD tracing in (slower simulation even when no trace is asked for).</param>
    /// <param name="threads">Verilator's --threads; null for a single-threaded model.</param>
    public VerilatorBuild(IEnumerable<string> rtlSources, string configDirectory, bool trace = false, int? threads = null)
    {
        ArgumentNullException.ThrowIfNull(rtlSources);
        ArgumentException.ThrowIfNullOrEmpty(configDirectory);
        RtlSources = [.. rtlSources.Select(Path.GetFullPath)];
        if (RtlSources.Count == 0) throw new ArgumentException("no RTL sources given", nameof(rtlSources));
        if (threads is < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "at least one thread");
        ConfigDirectory = Path.GetFullPath(configDirectory);
        Trace = trace;
        Threads = threads;
    }

    public IReadOnlyList<string> RtlSources { get; }
    public string ConfigDirectory { get; }
    public bool Trace { get; }
    public int? Threads { get; }

    /// <summary>Where builds are kept; see <see cref="DefaultCacheRoot"/>.</summary>
    public string CacheRoot { get; init; } = DefaultCacheRoot();

    /// <summary>The verilator program; a bare name is looked up on PATH.</summary>
    public string VerilatorExecutable { get; init; } = "verilator";

    /// <summary>The C++ testbench sources; null to use <see cref="LocateHarnessDirectory"/>.</summary>
    public string? HarnessDirectory { get; init; }

    /// <summary>The Verilog top module (verilator --top-module); the harness includes <c>V{Top}.h</c>.</summary>
    public string Top { get; init; } = TopModule;

    /// <summary>The one harness source compiled (a file name in the harness directory).</summary>
    public string HarnessMain { get; init; } = HarnessMainFile;

    /// <summary>The executable's file name in the build directory.</summary>
    public string Executable { get; init; } = ExecutableName;

    /// <summary>Headers besides accel_config.h the generator wrote into the configuration directory (for example accel_board_config.h).</summary>
    public IReadOnlyList<string> ExtraConfigHeaders { get; init; } = [];

    /// <summary>Parallel compile jobs (verilator -j). Not part of the cache key: it does not change the result.</summary>
    public int BuildJobs { get; init; } = 2;

    /// <summary>Longest wait for another process building the same key.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Longest a verilator run may take before it is killed.</summary>
    public TimeSpan BuildTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>$ACCEL_COSIM_CACHE, else build/cosim-cache under the repository root, else a folder under the temp directory.</summary>
    public static string DefaultCacheRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(CacheEnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment)) return Path.GetFullPath(fromEnvironment);
        return SharedData.RepositoryRoot is { } root
            ? Path.Combine(root, "build", "cosim-cache")
            : Path.Combine(Path.GetTempPath(), "accel-cosim-cache");
    }

    /// <summary>The harness copied beside the assemblies (harness/), else sim/harness in the repository.</summary>
    public static string LocateHarnessDirectory()
    {
        var besideAssemblies = Path.Combine(AppContext.BaseDirectory, "harness");
        if (File.Exists(Path.Combine(besideAssemblies, "accel_tb.cpp"))) return besideAssemblies;
        if (SharedData.RepositoryRoot is { } root)
        {
            var inRepository = Path.Combine(root, "sim", "harness");
            if (File.Exists(Path.Combine(inRepository, "accel_tb.cpp"))) return inRepository;
        }
        throw new CosimException($"testbench sources (accel_tb.cpp) not found in {besideAssemblies} nor in sim/harness of the repository");
    }

    /// <summary>The full cache key (hex SHA-256); the build directory is named after its first 16 characters.</summary>
    public string ComputeKey()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string label, ReadOnlySpan<byte> content)
        {
            // Length-prefixed so no two different inputs concatenate to the same bytes.
            hash.AppendData(Encoding.UTF8.GetBytes($"{label}\n{content.Length}\n"));
            hash.AppendData(content);
        }
        Add("format", Encoding.UTF8.GetBytes(KeyFormatVersion));
        Add("verilator", Encoding.UTF8.GetBytes(VerilatorVersion()));
        Add("flags", Encoding.UTF8.GetBytes(string.Join('\n', KeyFlags())));
        // Only what differs from the defaults is added, so the testbench's keys do not depend on it.
        if (Executable != ExecutableName) Add("executable", Encoding.UTF8.GetBytes(Executable));
        foreach (var source in RtlSources) Add("rtl " + Path.GetFileName(source), ReadInput(source));
        var harness = LocateHarness();
        foreach (var (relative, path) in HarnessFiles(harness)) Add("harness " + relative, ReadInput(path));
        Add("config", ReadInput(ConfigHeaderPath));
        foreach (var header in ExtraConfigHeaders) Add("config " + header, ReadInput(Path.Combine(ConfigDirectory, header)));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Returns the cached executable for these inputs, building it first if needed.</summary>
    /// <exception cref="CosimException">verilator is missing, or lint or compilation failed (the message carries the log's tail and path).</exception>
    public BuildResult Build(CancellationToken cancellationToken = default) =>
        BuildAsync(cancellationToken).GetAwaiter().GetResult();

    /// <inheritdoc cref="Build"/>
    public async Task<BuildResult> BuildAsync(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        string key = ComputeKey();
        string name = key[..16];
        string directory = Path.Combine(CacheRoot, name);
        if (IsComplete(directory)) return Result(directory, fromCache: true, clock);

        Directory.CreateDirectory(CacheRoot);
        using (await AcquireLockAsync(Path.Combine(CacheRoot, name + ".lock"), cancellationToken).ConfigureAwait(false))
        {
            // Another process may have finished it while this one waited for the lock.
            if (IsComplete(directory)) return Result(directory, fromCache: true, clock);
            await CompileAsync(key, directory, cancellationToken).ConfigureAwait(false);
        }
        return Result(directory, fromCache: false, clock);
    }

    private string ConfigHeaderPath => Path.Combine(ConfigDirectory, ConfigHeaderName);

    private string LocateHarness() => HarnessDirectory is { } given ? Path.GetFullPath(given) : LocateHarnessDirectory();

    private bool IsComplete(string directory) =>
        File.Exists(Path.Combine(directory, Executable)) && File.Exists(Path.Combine(directory, StampFileName));

    private BuildResult Result(string directory, bool fromCache, Stopwatch clock) =>
        new(Path.Combine(directory, Executable), directory, fromCache, clock.Elapsed);

    /// <summary>The flags that shape the executable, without machine-specific paths (they would defeat the cache).</summary>
    private List<string> KeyFlags() => Flags(CompilerFlags);

    private List<string> Flags(string compilerFlags)
    {
        var flags = new List<string>
        {
            "--cc", "--exe", "--build", "-Wall", "-O3", "--x-assign", "fast", "--x-initial", "fast",
            "--top-module", Top, "-CFLAGS", compilerFlags,
        };
        if (Trace) flags.Add("--trace");
        if (Threads is { } threads) flags.AddRange(["--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        return flags;
    }

    private async Task CompileAsync(string key, string directory, CancellationToken cancellationToken)
    {
        string name = Path.GetFileName(directory);
        string staging = Path.Combine(CacheRoot, $"{name}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        string sources = Path.Combine(staging, "src");
        string objects = Path.Combine(staging, "obj");
        Directory.CreateDirectory(sources);

        // The build directory keeps its own copy of the testbench and header: it shows what was compiled.
        var compiledHarness = new List<string>();
        foreach (var (relative, path) in HarnessFiles(LocateHarness()))
        {
            string copy = Path.Combine(sources, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(path, copy);
            if (relative == HarnessMain) compiledHarness.Add(copy);
        }
        File.Copy(ConfigHeaderPath, Path.Combine(sources, ConfigHeaderName));
        foreach (var header in ExtraConfigHeaders) File.Copy(Path.Combine(ConfigDirectory, header), Path.Combine(sources, header));

        // The C++ compiler runs inside obj/, hence the relative include path (also immune to spaces in paths).
        var arguments = Flags($"{CompilerFlags} -I../src");
        arguments.AddRange(["-j", BuildJobs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--Mdir", objects, "-o", Executable]);
        foreach (var includeDirectory in RtlSources.Select(Path.GetDirectoryName).Distinct()) arguments.Add("-I" + includeDirectory);
        arguments.AddRange(RtlSources.Where(s => CompiledRtlExtensions.Contains(Path.GetExtension(s), StringComparer.OrdinalIgnoreCase)));
        arguments.AddRange(compiledHarness);

        var clock = Stopwatch.StartNew();
        ProcessRunner.Outcome outcome;
        try
        {
            outcome = await ProcessRunner.RunAsync(VerilatorExecutable, arguments, staging, BuildTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or Win32Exception)
        {
            TryDelete(staging);
            if (e is Win32Exception) throw VerilatorMissing(e);
            throw;
        }
        string log = Path.Combine(staging, LogFileName);
        await File.WriteAllLinesAsync(log, [CommandLine(VerilatorExecutable, arguments), "", .. outcome.MergedLines], CancellationToken.None).ConfigureAwait(false);

        if (outcome.ExitCode != 0 || outcome.TimedOut)
        {
            // Keep the failed attempt (log and generated sources) where the message points.
            string failed = Path.Combine(CacheRoot, name + ".failed");
            TryDelete(failed);
            Directory.Move(staging, failed);
            string failedLog = Path.Combine(failed, LogFileName);
            string what = outcome.TimedOut ? $"took longer than {BuildTimeout}" : $"failed with exit code {outcome.ExitCode}";
            var tail = outcome.MergedLines.TakeLast(40);
            throw new CosimException($"verilator build of {Top} {what}; full log: {failedLog}\n{string.Join('\n', tail)}");
        }

        File.Move(Path.Combine(objects, Executable), Path.Combine(staging, Executable));
        TryDelete(objects);  // object files are large and never reused
        await File.WriteAllTextAsync(
            Path.Combine(staging, StampFileName),
            $"key {key}\nverilator {VerilatorVersion()}\nbuilt {DateTime.UtcNow:O}\nseconds {clock.Elapsed.TotalSeconds:F1}\n",
            CancellationToken.None).ConfigureAwait(false);

        // A leftover without a stamp (a crash between rename and stamp cannot happen, but a manual
        // deletion can) is replaced.
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        Directory.Move(staging, directory);
    }

    private async Task<FileStream> AcquireLockAsync(string path, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive lock across processes (flock on Unix). The file is
                // left in place: deleting it would let two processes lock two different files.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < LockTimeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new CosimException($"gave up after {LockTimeout} waiting for the build lock {path}", e);
            }
        }
    }

    private string VerilatorVersion() => VersionByExecutable.GetOrAdd(VerilatorExecutable, QueryVersion);

    private static string QueryVersion(string executable)
    {
        ProcessRunner.Outcome outcome;
        try
        {
            outcome = ProcessRunner.RunAsync(executable, ["--version"], null, TimeSpan.FromMinutes(1), CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Win32Exception e)
        {
            throw VerilatorMissing(e);
        }
        if (outcome.ExitCode != 0 || outcome.MergedLines.Count == 0)
            throw new CosimException($"'{executable} --version' failed (exit code {outcome.ExitCode}): {string.Join('\n', outcome.MergedLines)}");
        return string.Join('\n', outcome.MergedLines).Trim();
    }

    // For the log only: quoted so that the line can be pasted into a shell.
    private static string CommandLine(string program, IEnumerable<string> arguments) =>
        string.Join(' ', arguments.Prepend(program).Select(a => a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=+:,@".Contains(c)) ? a : $"'{a.Replace("'", "'\\''")}'"));

    private static CosimException VerilatorMissing(Exception inner) =>
        new($"verilator not found on PATH: run scripts/setup.sh ({inner.Message})", inner);

    /// <summary>The main file and every header of the harness directory (other harnesses' main files are not part of this build).</summary>
    private List<(string Relative, string Path)> HarnessFiles(string harnessDirectory)
    {
        if (!Directory.Exists(harnessDirectory)) throw new CosimException($"testbench directory {harnessDirectory} does not exist");
        var files = Directory.EnumerateFiles(harnessDirectory, "*", SearchOption.AllDirectories)
            .Select(f => (Relative: Path.GetRelativePath(harnessDirectory, f).Replace('\\', '/'), Path: f))
            .Where(f => f.Relative == HarnessMain || HeaderExtensions.Contains(Path.GetExtension(f.Relative), StringComparer.OrdinalIgnoreCase))
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .ToList();
        if (!files.Any(f => f.Relative == HarnessMain)) throw new CosimException($"harness main file {HarnessMain} not found in {harnessDirectory}");
        return files;
    }

    private static byte[] ReadInput(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CosimException($"build input {path} not found", e);
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (IOException) { /* best effort: a leftover only costs disk space */ }
        catch (UnauthorizedAccessException) { }
    }
}
