using System.Diagnostics;
using Accel.Cosim.Verilator;
using Accel.Tests;
using Xunit;

namespace Accel.Cosim.Tests.Verilator;

[Collection(FakeAcceleratorCollection.Name)]
public sealed class VerilatorHarnessTests(FakeAcceleratorFixture fake)
{
    private const ulong GenerousCycleLimit = 10_000;

    [RequiresToolsFact("verilator")]
    public void WrittenActivationsReadBackUnchanged()
    {
        var design = fake.Narrow;
        byte[] hostWords = RandomBytes(64 * design.HostWordBytes, seed: 1);
        string stimulus = fake.WriteStimulus(design.HostWordBytes, s =>
        {
            s.Write(HostMemory.Activations, 0, hostWords);
            s.Write(HostMemory.Weights, 0, RandomBytes(4 * design.HostWordBytes, seed: 2));  // the fake ignores these
            s.Read(0, 64);
            s.Read(10, 3);
        });

        var result = fake.Run(fake.NarrowBuild, stimulus);

        byte[] activations = LowBytesOfEachWord(hostWords, design.HostWordBytes, design.ActWordBytes);
        Assert.Equal(2, result.Output.Reads.Count);
        Assert.Equal(activations, result.Output.Reads[0]);
        Assert.Equal(activations.AsSpan(10 * design.ActWordBytes, 3 * design.ActWordBytes).ToArray(), result.Output.Reads[1]);
        Assert.Empty(result.Report.Runs);
    }

    [RequiresToolsFact("verilator")]
    public void RunCopiesEachWordIncrementingEveryByteAndReportsItsCycles()
    {
        var design = fake.Narrow;
        byte[] hostWords = RandomBytes(FakeDesign.CopyWords * design.HostWordBytes, seed: 3);
        string stimulus = fake.WriteStimulus(design.HostWordBytes, s =>
        {
            s.Write(HostMemory.Activations, 0, hostWords);
            s.Run(GenerousCycleLimit);
            s.Read(FakeDesign.CopyWords, FakeDesign.CopyWords);
        });

        var result = fake.Run(fake.NarrowBuild, stimulus);

        Assert.Equal(ExpectedCopy(hostWords, design), result.Output.Reads.Single());
        var report = result.Report;
        Assert.Equal(("fake-2x2", 2, 2, 16, 2), (report.ConfigHash, report.Rows, report.Cols, report.HostWordBytes, report.ActWordBytes));
        var run = Assert.Single(report.Runs);
        Assert.False(run.TimedOut);
        Assert.Equal((ulong)FakeDesign.RunCycles, run.Cycles);
        Assert.Equal((ulong)FakeDesign.CopyWords, run.ActiveCycles);
        Assert.Equal(2, run.Instructions.Count);
        Assert.Equal((ulong)FakeDesign.CopyWords + 1, run.Instructions[0].RetireCycle);  // the start pulse is cycle 1
        Assert.True(run.Instructions[1].RetireCycle < run.Cycles);
        Assert.All(run.Instructions, i => Assert.Equal((ulong)FakeDesign.CopyWords, i.ActiveCycles));
        // Reset, one cycle per written word, the run, one cycle per read word.
        Assert.Equal(4 + (ulong)FakeDesign.CopyWords + run.Cycles + FakeDesign.CopyWords, report.TotalSimCycles);
        Assert.InRange(report.WallSeconds, 0, 10);
    }

    [RequiresToolsFact("verilator")]
    public void WideConfigurationMovesWholeWordsAndWritesATrace()
    {
        var design = fake.Wide;
        byte[] hostWords = RandomBytes(FakeDesign.CopyWords * design.HostWordBytes, seed: 4);
        string stimulus = fake.WriteStimulus(design.HostWordBytes, s =>
        {
            s.Write(HostMemory.Activations, 0, hostWords);
            s.Run(GenerousCycleLimit);
            s.Read(0, FakeDesign.CopyWords * 2);
        });
        string vcd = fake.NewPath(".vcd");

        var result = fake.Run(fake.WideTracedBuild, stimulus, vcd);

        byte[] expected = [.. LowBytesOfEachWord(hostWords, design.HostWordBytes, design.ActWordBytes), .. ExpectedCopy(hostWords, design)];
        Assert.Equal(expected, result.Output.Reads.Single());
        Assert.Equal(("fake-16x16", 16), (result.Report.ConfigHash, result.Report.Rows));
        string trace = File.ReadAllText(vcd);
        Assert.Contains("$enddefinitions", trace);
        Assert.Contains("clk_i", trace);
        Assert.Contains("host_rd_data_o", trace);
        Assert.True(trace.Length > 10_000, $"trace has only {trace.Length} characters");
    }

    [RequiresToolsFact("verilator")]
    public void SecondBuildOfTheSameDesignComesFromTheCacheQuickly()
    {
        var first = fake.NarrowBuild;

        var second = new VerilatorBuild([fake.Narrow.Rtl], fake.Narrow.ConfigDirectory).Build();

        Assert.True(second.FromCache);
        Assert.Equal(first.Executable, second.Executable);
        Assert.True(second.BuildTime < TimeSpan.FromSeconds(5), $"cache lookup took {second.BuildTime}");
    }

    [RequiresToolsFact("verilator")]
    public void TracingAndOtherFlagsChangeTheCacheKey()
    {
        var plain = new VerilatorBuild([fake.Narrow.Rtl], fake.Narrow.ConfigDirectory);
        var traced = new VerilatorBuild([fake.Narrow.Rtl], fake.Narrow.ConfigDirectory, trace: true);
        var threaded = new VerilatorBuild([fake.Narrow.Rtl], fake.Narrow.ConfigDirectory, threads: 2);

        Assert.Equal(3, new[] { plain.ComputeKey(), traced.ComputeKey(), threaded.ComputeKey() }.Distinct().Count());
        Assert.Equal(plain.ComputeKey(), new VerilatorBuild([fake.Narrow.Rtl], fake.Narrow.ConfigDirectory).ComputeKey());
    }

    [RequiresToolsFact("verilator")]
    public void StimulusForAnotherHostWordSizeIsRejectedNamingBothSizes()
    {
        string stimulus = fake.WriteStimulus(hostWordBytes: 32, s => s.Read(0, 1));

        var error = Assert.Throws<CosimException>(() => fake.Run(fake.NarrowBuild, stimulus));

        Assert.Contains("hostWordBytes is 32", error.Message);
        Assert.Contains("ACCEL_HOST_BITS/8 = 16", error.Message);
    }

    [RequiresToolsFact("verilator")]
    public void TruncatedStimulusIsRejectedNamingTheByteOffset()
    {
        string stimulus = fake.WriteStimulus(fake.Narrow.HostWordBytes, s => s.Read(0, 1));
        // Header (12 bytes), READ opcode and address (5 bytes): the count at offset 17 is cut after 2 of its 4 bytes.
        File.WriteAllBytes(stimulus, File.ReadAllBytes(stimulus)[..19]);

        var error = Assert.Throws<CosimException>(() => fake.Run(fake.NarrowBuild, stimulus));

        Assert.Contains("byte offset 17", error.Message);
    }

    [RequiresToolsFact("verilator")]
    public void RunPastItsCycleLimitThrowsTimeoutCarryingTheReport()
    {
        var design = fake.Narrow;
        string stimulus = fake.WriteStimulus(design.HostWordBytes, s =>
        {
            s.Write(HostMemory.Activations, 0, RandomBytes(design.HostWordBytes, seed: 5));
            s.Read(0, 1);
            s.Run(maxCycles: 10);
            s.Read(0, 1);  // never reached
        });

        var error = Assert.Throws<CosimTimeoutException>(() => fake.Run(fake.NarrowBuild, stimulus));

        var run = Assert.Single(error.Report!.Runs);
        Assert.True(run.TimedOut);
        Assert.Equal(10UL, run.Cycles);
        Assert.Single(error.Output!.Reads);
    }

    [RequiresToolsFact("verilator")]
    public void TraceFromABuildWithoutTracingIsRejected()
    {
        string stimulus = fake.WriteStimulus(fake.Narrow.HostWordBytes, _ => { });

        var error = Assert.Throws<CosimException>(() => fake.Run(fake.NarrowBuild, stimulus, fake.NewPath(".vcd")));

        Assert.Contains("exit code 2", error.Message);
        Assert.Contains("no tracing", error.Message);
    }

    [Fact]
    public void MissingVerilatorIsReportedWithTheSetupScript()
    {
        var build = new VerilatorBuild([fake.Narrow.Rtl], fake.Narrow.ConfigDirectory)
        {
            VerilatorExecutable = Path.Combine(fake.WorkDirectory, "no-such-verilator"),
            CacheRoot = fake.NewPath(".cache"),
        };

        var error = Assert.Throws<CosimException>(() => build.Build());

        Assert.StartsWith("verilator not found on PATH: run scripts/setup.sh", error.Message);
    }

    [RequiresToolsFact("verilator")]
    public void LintErrorCarriesTheLogTailAndPath()
    {
        string directory = fake.NewPath(".badrtl");
        Directory.CreateDirectory(directory);
        string rtl = Path.Combine(directory, "accel_top.sv");
        File.WriteAllText(rtl, File.ReadAllText(fake.Narrow.Rtl).Replace("count_q + 6'd1;", "count_q + 1'b1 + 8'd0;"));
        File.Copy(Path.Combine(fake.Narrow.ConfigDirectory, VerilatorBuild.ConfigHeaderName), Path.Combine(directory, VerilatorBuild.ConfigHeaderName));
        var build = new VerilatorBuild([rtl], directory) { CacheRoot = fake.NewPath(".cache") };

        var error = Assert.Throws<CosimException>(() => build.Build());

        Assert.Contains("%Warning-WIDTH", error.Message);
        string log = error.Message.Split("full log: ")[1].Split('\n')[0];
        Assert.True(File.Exists(log), $"log {log} missing");
        Assert.Contains("%Warning-WIDTH", File.ReadAllText(log));
    }

    [RequiresToolsFact("verilator")]
    public async Task ConcurrentBuildsOfOneDesignCompileItOnce()
    {
        string cacheRoot = fake.NewPath(".cache");
        VerilatorBuild NewBuild() => new([fake.Narrow.Rtl], fake.Narrow.ConfigDirectory) { CacheRoot = cacheRoot };

        var results = await Task.WhenAll(Task.Run(() => NewBuild().BuildAsync()), Task.Run(() => NewBuild().BuildAsync()));

        Assert.Single(results, r => !r.FromCache);
        Assert.Single(results.Select(r => r.Directory).Distinct());
        Assert.Empty(Directory.GetDirectories(cacheRoot, "*.tmp-*"));
        Assert.True(File.Exists(Path.Combine(results[0].Directory, VerilatorBuild.StampFileName)));
    }

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    // An activation word is the low ActWordBytes of the host word written for it.
    private static byte[] LowBytesOfEachWord(byte[] hostWords, int hostWordBytes, int actWordBytes) =>
        [.. hostWords.Chunk(hostWordBytes).SelectMany(word => word.Take(actWordBytes))];

    private static byte[] ExpectedCopy(byte[] hostWords, FakeDesign design) =>
        [.. LowBytesOfEachWord(hostWords, design.HostWordBytes, design.ActWordBytes).Select(b => unchecked((byte)(b + 1)))];
}
