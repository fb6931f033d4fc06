using Accel.Cosim.Verilator;
using Accel.Model.Data;
using Xunit;

namespace Accel.Cosim.Tests.Verilator;

/// <summary>A fake accel_top (FakeRtl/) in one configuration, with the numbers the tests check against.</summary>
public sealed record FakeDesign(string Rtl, string ConfigDirectory, int Rows, int HostWordBytes, int ActWordBytes, string ConfigHash)
{
    // Behaviour of FakeRtl/accel_top.sv.
    public const int CopyWords = 32;
    public const int TailCycles = 64;
    public const int RunCycles = CopyWords + TailCycles + 2;  // + the done state and the registered done pulse
}

/// <summary>
/// Builds the fake accelerator once per test run (and, through the build cache, once per content
/// change): a 2x2 configuration whose read port is a plain integer, and a traced 16x16 one whose
/// ports are all VlWide. Builds happen on first use so that tests skipped for lack of verilator
/// cost nothing.
/// </summary>
public sealed class FakeAcceleratorFixture : IDisposable
{
    private readonly Lazy<BuildResult> _narrowBuild;
    private readonly Lazy<BuildResult> _wideTracedBuild;
    private int _fileCounter;

    public FakeAcceleratorFixture()
    {
        WorkDirectory = Directory.CreateTempSubdirectory("accel-cosim-tests-").FullName;
        string fakeRtl = Path.Combine(
            SharedData.RepositoryRoot ?? throw new InvalidOperationException("repository root (Accelerator.sln) not found"),
            "tests", "Accel.Cosim.Tests", "Verilator", "FakeRtl");
        Narrow = new FakeDesign(Path.Combine(fakeRtl, "accel_top.sv"), fakeRtl, Rows: 2, HostWordBytes: 16, ActWordBytes: 2, "fake-2x2");
        Wide = WriteWideVariant(Narrow, Path.Combine(WorkDirectory, "wide"));
        _narrowBuild = new(() => new VerilatorBuild([Narrow.Rtl], Narrow.ConfigDirectory).Build());
        _wideTracedBuild = new(() => new VerilatorBuild([Wide.Rtl], Wide.ConfigDirectory, trace: true).Build());
    }

    /// <summary>A private scratch directory, removed afterwards.</summary>
    public string WorkDirectory { get; }

    public FakeDesign Narrow { get; }
    public FakeDesign Wide { get; }
    public BuildResult NarrowBuild => _narrowBuild.Value;
    public BuildResult WideTracedBuild => _wideTracedBuild.Value;

    /// <summary>A fresh path in the scratch directory.</summary>
    public string NewPath(string extension) =>
        Path.Combine(WorkDirectory, $"f{Interlocked.Increment(ref _fileCounter)}{extension}");

    /// <summary>Writes a stimulus with <paramref name="commands"/> (END is added) and returns its path.</summary>
    public string WriteStimulus(int hostWordBytes, Action<StimulusWriter> commands)
    {
        string path = NewPath(".stim");
        using var writer = StimulusWriter.Create(path, hostWordBytes);
        commands(writer);
        writer.End();
        return path;
    }

    public HarnessResult Run(BuildResult build, string stimulusPath, string? vcdPath = null) =>
        HarnessProcess.Run(build.Executable, stimulusPath, NewPath(".bin"), NewPath(".json"), vcdPath, TimeSpan.FromMinutes(1));

    public void Dispose()
    {
        try { Directory.Delete(WorkDirectory, recursive: true); }
        catch (IOException) { /* scratch space only */ }
    }

    // Same Verilog with other parameter defaults, so the 16x16 configuration needs no second source file.
    private static FakeDesign WriteWideVariant(FakeDesign narrow, string directory)
    {
        Directory.CreateDirectory(directory);
        string verilog = File.ReadAllText(narrow.Rtl);
        const string narrowRows = "Rows     = 2,", narrowHostBits = "HostBits = 128";
        if (!verilog.Contains(narrowRows) || !verilog.Contains(narrowHostBits))
            throw new InvalidOperationException("FakeRtl/accel_top.sv parameter defaults changed; update WriteWideVariant");
        string wideVerilog = verilog.Replace(narrowRows, "Rows     = 16,").Replace(narrowHostBits, "HostBits = 256");
        string rtl = Path.Combine(directory, "accel_top.sv");
        File.WriteAllText(rtl, wideVerilog);
        File.WriteAllText(Path.Combine(directory, VerilatorBuild.ConfigHeaderName), """
            #define ACCEL_ROWS 16
            #define ACCEL_COLS 16
            #define ACCEL_HOST_BITS 256
            #define ACCEL_ACT_BITS 128
            #define ACCEL_CONFIG_HASH "fake-16x16"

            """);
        return new FakeDesign(rtl, directory, Rows: 16, HostWordBytes: 32, ActWordBytes: 16, "fake-16x16");
    }
}

[CollectionDefinition(Name)]
public sealed class FakeAcceleratorCollection : ICollectionFixture<FakeAcceleratorFixture>
{
    public const string Name = "Verilator fake accelerator";
}
