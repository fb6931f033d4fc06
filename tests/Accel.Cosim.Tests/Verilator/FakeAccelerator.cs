using System.Buffers.Binary;
using Accel.Cosim.Verilator;
using Accel.Hardware.Config;
using Accel.Model.Data;
using Xunit;

namespace Accel.Cosim.Tests.Verilator;

/// <summary>A fake accel_top (FakeRtl/) in one configuration, with the numbers the tests check against.</summary>
public sealed record FakeDesign(string Rtl, string ConfigDirectory, int Rows, int Cols, int HostWordBytes, int DramBeatBytes, string ConfigHash)
{
    // Behaviour of FakeRtl/accel_top.sv.
    public const int MaxBeats = 16;
    public const int ComputeCycles = 8;

    /// <summary>Program word 0: copy <paramref name="beats"/> DRAM beats from <paramref name="source"/> to <paramref name="destination"/>.</summary>
    /// <param name="hang">Never raise done_o after the copy.</param>
    public byte[] Descriptor(uint source, uint destination, int beats, bool hang = false)
    {
        var word = new byte[HostWordBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(word, source);
        BinaryPrimitives.WriteUInt32LittleEndian(word.AsSpan(4), destination);
        word[8] = checked((byte)beats);
        word[9] = hang ? (byte)1 : (byte)0;
        return word;
    }

    /// <summary>
    /// Event cycles of one copy of <paramref name="beats"/> beats when the memory sustains a beat per
    /// cycle (cycle 1 samples start_i; every done pulse is registered):
    /// cycle 2 issues the read request, its first beat comes ReadLatency cycles later and the rest follow one per
    /// cycle; ComputeCycles; one write per cycle, the last acknowledged WriteLatency cycles later; done one cycle after.
    /// </summary>
    public static (ulong Load, ulong Compute, ulong Store, ulong Done) ExpectedCycles(MemoryModel memory, int beats)
    {
        if (memory.BeatsPerCycle != 1) throw new ArgumentException("closed form only for one beat per cycle", nameof(memory));
        ulong load = (ulong)(memory.ReadLatency + beats + 1);
        ulong compute = load + ComputeCycles;
        ulong store = compute + (ulong)(beats + memory.WriteLatency);
        return (load, compute, store, store + 1);
    }
}

/// <summary>
/// Builds the fake accelerator once per test run (and, through the build cache, once per content
/// change): a configuration whose DRAM data ports are plain 64-bit integers in Verilator, and a traced
/// 16x16 one whose ports are all VlWide. Builds happen on first use so that tests skipped for lack of
/// verilator cost nothing.
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
        Narrow = new FakeDesign(Path.Combine(fakeRtl, "accel_top.sv"), fakeRtl, Rows: 2, Cols: 2, HostWordBytes: 16, DramBeatBytes: 8, "fake-2x2");
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

    public HarnessResult Run(
        BuildResult build, string stimulusPath, string? vcdPath = null, ulong? maxTotalCycles = null, MemoryModel? memory = null,
        Action<long, long>? computeProgress = null) =>
        HarnessProcess.Run(
            build.Executable, stimulusPath, NewPath(".bin"), NewPath(".json"), vcdPath, TimeSpan.FromMinutes(1), maxTotalCycles, memory, computeProgress);

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
        const string narrowHostBits = "HostBits       = 128,", narrowDramBits = "DramBits       = 64,";
        if (!verilog.Contains(narrowHostBits) || !verilog.Contains(narrowDramBits))
            throw new InvalidOperationException("FakeRtl/accel_top.sv parameter defaults changed; update WriteWideVariant");
        string wideVerilog = verilog.Replace(narrowHostBits, "HostBits       = 256,").Replace(narrowDramBits, "DramBits       = 256,");
        string rtl = Path.Combine(directory, "accel_top.sv");
        File.WriteAllText(rtl, wideVerilog);
        File.WriteAllText(Path.Combine(directory, VerilatorBuild.ConfigHeaderName), """
            #pragma once
            #define ACCEL_ROWS 16
            #define ACCEL_COLS 16
            #define ACCEL_HOST_BITS 256
            #define ACCEL_ACT_BITS 128
            #define ACCEL_DRAM_BITS 256
            #define ACCEL_DRAM_BURST_BEATS 16
            #define ACCEL_CONFIG_HASH "fake-16x16"

            """);
        return new FakeDesign(rtl, directory, Rows: 16, Cols: 16, HostWordBytes: 32, DramBeatBytes: 32, "fake-16x16");
    }
}

[CollectionDefinition(Name)]
public sealed class FakeAcceleratorCollection : ICollectionFixture<FakeAcceleratorFixture>
{
    public const string Name = "Verilator fake accelerator";
}
