using System.Buffers.Binary;
using Accel.Cosim.Verilator;
using Accel.Hardware.Config;
using Accel.Tests;
using Xunit;

namespace Accel.Cosim.Tests.Verilator;

[Collection(FakeAcceleratorCollection.Name)]
public sealed class VerilatorHarnessTests(FakeAcceleratorFixture fake)
{
    private const ulong GenerousCycleLimit = 10_000;
    private const int ResetCycles = 4;
    private const ulong DramBytes = 4096;
    private const uint Source = 0x100, Destination = 0x800;
    private const int Beats = 12;

    [RequiresToolsFact("verilator")]
    public void DramWritesReadBackWithoutARun()
    {
        var design = fake.Narrow;
        byte[] data = RandomBytes(100, seed: 1);
        string stimulus = fake.WriteStimulus(design.HostWordBytes, s =>
        {
            s.DramSize(256);
            s.DramWrite(16, data);
            s.DramRead(0, 256);
            s.DramRead(20, 10);
            s.DramRead(255, 0);
        });

        var result = fake.Run(fake.NarrowBuild, stimulus);

        byte[] image = new byte[256];
        data.CopyTo(image, 16);
        Assert.Equal(3, result.Output.Reads.Count);
        Assert.Equal(image, result.Output.Reads[0]);
        Assert.Equal(data[4..14], result.Output.Reads[1]);
        Assert.Empty(result.Output.Reads[2]);
        Assert.Empty(result.Report.Runs);
        Assert.Equal((ulong)ResetCycles, result.Report.TotalSimCycles);  // DRAM commands take no engine cycles
        Assert.Equal(new DramCounters(0, 0, 0), result.Report.Dram);
    }

    [RequiresToolsFact("verilator")]
    public void RunCopiesTheBurstThroughTheDramPortAndReportsItsEvents()
    {
        var design = fake.Narrow;
        int copyBytes = Beats * design.DramBeatBytes;
        byte[] data = RandomBytes(copyBytes, seed: 3);
        string stimulus = fake.WriteStimulus(design.HostWordBytes, s =>
        {
            s.DramSize(DramBytes);
            s.DramWrite(Source, data);
            s.Write(HostMemory.Registers, 0, design.Descriptor(Source, Destination, Beats));
            s.Run(GenerousCycleLimit);
            // One beat of margin on both sides: the copy must land exactly at the destination.
            s.DramRead(Destination - (uint)design.DramBeatBytes, (uint)(copyBytes + 2 * design.DramBeatBytes));
            s.DramRead(Source, (uint)copyBytes);
        });

        var result = fake.Run(fake.NarrowBuild, stimulus);

        var zeros = new byte[design.DramBeatBytes];
        Assert.Equal([.. zeros, .. data, .. zeros], result.Output.Reads[0]);
        Assert.Equal(data, result.Output.Reads[1]);  // the source is left alone
        var report = result.Report;
        Assert.Equal(("fake-2x2", 2, 2, 16, 8), (report.ConfigHash, report.Rows, report.Cols, report.HostWordBytes, report.DramBeatBytes));
        Assert.Equal(new DramCounters(1, Beats, Beats), report.Dram);
        var run = Assert.Single(report.Runs);
        Assert.False(run.TimedOut);
        var expected = FakeDesign.ExpectedCycles(MemoryModel.PynqZ2HpPort, Beats);
        Assert.Equal(
            [new UnitEvent(0, expected.Load, 0), new UnitEvent(1, expected.Compute, FakeDesign.ComputeCycles), new UnitEvent(2, expected.Store, FakeDesign.ComputeCycles)],
            run.Events);
        Assert.Equal(expected.Done, run.Cycles);
        Assert.Equal((ulong)FakeDesign.ComputeCycles, run.ActiveCycles);
        // Plausibility independent of the closed form: nothing arrives before the read latency, the
        // store cannot finish before every beat went out and came back acknowledged.
        Assert.True(run.Events[0].Cycle > (ulong)(MemoryModel.PynqZ2HpPort.ReadLatency + Beats));
        Assert.True(run.Events[2].Cycle - run.Events[1].Cycle >= (ulong)(Beats + MemoryModel.PynqZ2HpPort.WriteLatency));
        // Reset, one cycle per host word written, the run.
        Assert.Equal(ResetCycles + 1 + run.Cycles, report.TotalSimCycles);
        Assert.InRange(report.WallSeconds, 0, 10);
    }

    [RequiresToolsFact("verilator")]
    public void SecondRunTakesANewDescriptorAndTheDramCountersAddUp()
    {
        var design = fake.Narrow;
        byte[] first = RandomBytes(4 * design.DramBeatBytes, seed: 4), second = RandomBytes(FakeDesign.MaxBeats * design.DramBeatBytes, seed: 5);
        string stimulus = fake.WriteStimulus(design.HostWordBytes, s =>
        {
            s.DramSize(DramBytes);
            s.DramWrite(0, first);
            s.DramWrite(0x400, second);
            s.Write(HostMemory.ChannelParams, 0, RandomBytes(3 * design.HostWordBytes, seed: 6));  // the fake ignores these
            s.Write(HostMemory.Registers, 0, design.Descriptor(0, 0x200, 4));
            s.Run(GenerousCycleLimit);
            s.DramRead(0x200, (uint)first.Length);
            s.Write(HostMemory.Registers, 0, design.Descriptor(0x400, 0x600, FakeDesign.MaxBeats));
            s.Run(GenerousCycleLimit);
            s.DramRead(0x200, (uint)first.Length);
            s.DramRead(0x600, (uint)second.Length);
        });

        var result = fake.Run(fake.NarrowBuild, stimulus);

        Assert.Equal([first, first, second], result.Output.Reads);
        Assert.Equal(new DramCounters(2, 4 + FakeDesign.MaxBeats, 4 + FakeDesign.MaxBeats), result.Report.Dram);
        Assert.Equal(
            [FakeDesign.ExpectedCycles(MemoryModel.PynqZ2HpPort, 4).Done, FakeDesign.ExpectedCycles(MemoryModel.PynqZ2HpPort, FakeDesign.MaxBeats).Done],
            result.Report.Runs.Select(r => r.Cycles));
        Assert.All(result.Report.Runs, r => Assert.Equal([0, 1, 2], r.Events.Select(e => e.Unit)));
    }

    [RequiresToolsFact("verilator")]
    public void WideConfigurationCopiesWholeBeatsAndWritesATrace()
    {
        var design = fake.Wide;
        const int beats = 5;
        byte[] data = RandomBytes(beats * design.DramBeatBytes, seed: 7);
        string stimulus = fake.WriteStimulus(design.HostWordBytes, s =>
        {
            s.DramSize(DramBytes);
            s.DramWrite(Source, data);
            s.Write(HostMemory.Registers, 0, design.Descriptor(Source, Destination, beats));
            s.Run(GenerousCycleLimit);
            s.DramRead(Destination, (uint)(data.Length + design.DramBeatBytes));
        });
        string vcd = fake.NewPath(".vcd");

        var result = fake.Run(fake.WideTracedBuild, stimulus, vcd);

        Assert.Equal([.. data, .. new byte[design.DramBeatBytes]], result.Output.Reads.Single());
        var report = result.Report;
        Assert.Equal(("fake-16x16", 16, 16, 32, 32), (report.ConfigHash, report.Rows, report.Cols, report.HostWordBytes, report.DramBeatBytes));
        Assert.Equal(FakeDesign.ExpectedCycles(MemoryModel.PynqZ2HpPort, beats).Done, report.Runs.Single().Cycles);
        string trace = File.ReadAllText(vcd);
        Assert.Contains("$enddefinitions", trace);
        Assert.Contains("clk_i", trace);
        Assert.Contains("dram_wr_data_o", trace);
        Assert.True(trace.Length > 10_000, $"trace has only {trace.Length} characters");
    }

    [RequiresToolsFact("verilator")]
    public void MemoryModelOptionsChangeTheTiming()
    {
        var design = fake.Narrow;
        byte[] data = RandomBytes(Beats * design.DramBeatBytes, seed: 8);
        string stimulus = fake.WriteStimulus(design.HostWordBytes, s =>
        {
            s.DramSize(DramBytes);
            s.DramWrite(Source, data);
            s.Write(HostMemory.Registers, 0, design.Descriptor(Source, Destination, Beats));
            s.Run(GenerousCycleLimit);
            s.DramRead(Destination, (uint)data.Length);
        });
        var baseline = MemoryModel.PynqZ2HpPort;
        HarnessRun RunWith(MemoryModel memory)
        {
            var result = fake.Run(fake.NarrowBuild, stimulus, memory: memory);
            Assert.Equal(data, result.Output.Reads.Single());  // timing never changes the result
            Assert.Equal(new DramCounters(1, Beats, Beats), result.Report.Dram);
            return result.Report.Runs.Single();
        }

        var normal = RunWith(baseline);
        var slowReads = RunWith(baseline with { ReadLatency = baseline.ReadLatency + 100 });
        var slowWrites = RunWith(baseline with { WriteLatency = baseline.WriteLatency + 50 });
        var halfRate = RunWith(baseline with { BeatsPerCycle = 0.5 });
        var oneBurst = RunWith(baseline with { MaxOutstandingReads = 1 });

        Assert.Equal(FakeDesign.ExpectedCycles(baseline, Beats).Done, normal.Cycles);
        // A single burst: the read latency delays everything from the first beat on, the write latency only the store.
        Assert.Equal(normal.Cycles + 100, slowReads.Cycles);
        Assert.Equal(normal.Events.Select(e => e.Cycle + 100), slowReads.Events.Select(e => e.Cycle));
        Assert.Equal(normal.Cycles + 50, slowWrites.Cycles);
        Assert.Equal(normal.Events[1].Cycle, slowWrites.Events[1].Cycle);
        Assert.Equal(normal.Events[2].Cycle + 50, slowWrites.Events[2].Cycle);
        // Half the beat rate: each of the Beats - 1 later beats comes a cycle later, in both directions.
        Assert.True(halfRate.Cycles >= normal.Cycles + 2 * (Beats - 1), $"{halfRate.Cycles} cycles at half rate, {normal.Cycles} at full rate");
        Assert.True(halfRate.Events[0].Cycle >= normal.Events[0].Cycle + Beats - 1);
        // One request in flight is all this engine ever issues.
        Assert.Equal(normal.Events, oneBurst.Events);
    }

    [RequiresToolsFact("verilator")]
    public void ProgressReportsEachComputeCompletionWithItsCycle()
    {
        var design = fake.Narrow;
        string stimulus = fake.WriteStimulus(design.HostWordBytes, s =>
        {
            s.DramSize(DramBytes);
            s.Write(HostMemory.Registers, 0, design.Descriptor(Source, Destination, 2));
            s.Run(GenerousCycleLimit);
            s.Run(GenerousCycleLimit);
        });
        var progress = new List<(long Done, long Cycle)>();  // the count restarts with each RUN

        var result = fake.Run(fake.NarrowBuild, stimulus, computeProgress: (done, cycle) => { lock (progress) progress.Add((done, cycle)); });

        long computeCycle = (long)FakeDesign.ExpectedCycles(MemoryModel.PynqZ2HpPort, 2).Compute;
        Assert.Equal([(1L, computeCycle), (1L, computeCycle)], progress);
        Assert.All(result.Report.Runs, r => Assert.Equal((ulong)computeCycle, r.Events.Single(e => e.Unit == 1).Cycle));
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
        string stimulus = fake.WriteStimulus(hostWordBytes: 32, s => s.Run(1));

        var error = Assert.Throws<CosimException>(() => fake.Run(fake.NarrowBuild, stimulus));

        Assert.Contains("exit code 2", error.Message);
        Assert.Contains("hostWordBytes is 32 at byte offset 8", error.Message);
        Assert.Contains("ACCEL_HOST_BITS/8 = 16", error.Message);
    }

    // Offsets: header 12 bytes (magic, hostWordBytes); DRAM_SIZE 9 bytes at 12; DRAM_WRITE at 21
    // (address at 22, count at 30, payload at 34); WRITE at 12 (mem at 13).
    [RequiresToolsTheory("verilator")]
    [InlineData("bad magic", "bad magic at byte offset 0")]
    [InlineData("truncated payload", "stimulus truncated at byte offset 34: DRAM_WRITE payload needs 32 bytes, 10 left")]
    [InlineData("DRAM_WRITE beyond DRAM_SIZE", "DRAM_WRITE of 16 bytes at 56 lies outside the DRAM of 64 bytes (DRAM_SIZE must come first) at byte offset 21")]
    [InlineData("DRAM_WRITE wrapping past 2^64", "DRAM_WRITE of 16 bytes at 18446744073709551608 lies outside the DRAM of 64 bytes (DRAM_SIZE must come first) at byte offset 21")]
    [InlineData("DRAM_READ before DRAM_SIZE", "DRAM_READ of 8 bytes at 0 lies outside the DRAM of 0 bytes (DRAM_SIZE must come first) at byte offset 12")]
    [InlineData("WRITE mem 2", "WRITE mem 2 is not 0 (registers) or 1 (parameters) at byte offset 13")]
    [InlineData("old READ opcode", "unknown opcode 0x03 at byte offset 12")]
    [InlineData("bytes after END", "1 unexpected bytes after END at byte offset 22")]
    public void MalformedStimulusIsRefusedNamingTheByteOffset(string defect, string expected)
    {
        var design = fake.Narrow;
        byte[] bytes = defect switch
        {
            "bad magic" => Patched(s => s.DramSize(8), b => b[0] = (byte)'X'),
            "truncated payload" => Stimulus(s => { s.DramSize(64); s.DramWrite(0, new byte[32]); })[..44],
            "DRAM_WRITE beyond DRAM_SIZE" => Patched(s => { s.DramSize(64); s.DramWrite(0, new byte[16]); }, b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(22), 56)),
            "DRAM_WRITE wrapping past 2^64" => Patched(
                s => { s.DramSize(64); s.DramWrite(0, new byte[16]); }, b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(22), ulong.MaxValue - 7)),
            "DRAM_READ before DRAM_SIZE" => [.. Stimulus(_ => { })[..12], (byte)StimulusOpcode.DramRead, .. new byte[8], 8, 0, 0, 0, 0x00],
            "WRITE mem 2" => Patched(s => s.Write(HostMemory.Registers, 0, new byte[design.HostWordBytes]), b => b[13] = 2),
            "old READ opcode" => [.. Stimulus(_ => { })[..12], 0x03, .. new byte[8], 0x00],
            "bytes after END" => [.. Stimulus(s => s.Run(5)), 0x00],
            _ => throw new ArgumentException(defect, nameof(defect)),
        };
        string path = fake.NewPath(".stim");
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<CosimException>(() => fake.Run(fake.NarrowBuild, path));

        Assert.IsNotType<CosimTimeoutException>(error);
        Assert.Contains("exit code 2", error.Message);
        Assert.Contains(expected, error.Message);

        byte[] Stimulus(Action<StimulusWriter> commands) => File.ReadAllBytes(fake.WriteStimulus(design.HostWordBytes, commands));
        byte[] Patched(Action<StimulusWriter> commands, Action<byte[]> patch)
        {
            byte[] b = Stimulus(commands);
            patch(b);
            return b;
        }
    }

    [RequiresToolsFact("verilator")]
    public void RunPastItsCycleLimitThrowsTimeoutCarryingTheReport()
    {
        var design = fake.Narrow;
        string stimulus = fake.WriteStimulus(design.HostWordBytes, s =>
        {
            s.DramSize(DramBytes);
            s.DramWrite(Source, RandomBytes(8, seed: 9));
            s.Write(HostMemory.Registers, 0, design.Descriptor(Source, Destination, 1));
            s.DramRead(Source, 8);
            s.Run(maxCycles: 10);  // the first beat alone takes the read latency
            s.DramRead(Destination, 8);  // never reached
        });

        var error = Assert.Throws<CosimTimeoutException>(() => fake.Run(fake.NarrowBuild, stimulus));

        var run = Assert.Single(error.Report!.Runs);
        Assert.True(run.TimedOut);
        Assert.Equal(10UL, run.Cycles);
        Assert.Empty(run.Events);
        Assert.Single(error.Output!.Reads);
    }

    [RequiresToolsFact("verilator")]
    public void RunThatNeverFinishesStopsAtMaxCyclesWithPartialResults()
    {
        var design = fake.Narrow;
        byte[] data = RandomBytes(Beats * design.DramBeatBytes, seed: 10);
        const ulong maxTotalCycles = 300;
        string stimulus = fake.WriteStimulus(design.HostWordBytes, s =>
        {
            s.DramSize(DramBytes);
            s.DramWrite(Source, data);
            s.Write(HostMemory.Registers, 0, design.Descriptor(Source, Destination, Beats, hang: true));
            s.DramRead(Source, (uint)data.Length);
            s.Run(GenerousCycleLimit);
            s.DramRead(Destination, (uint)data.Length);  // never reached
        });

        var error = Assert.Throws<CosimTimeoutException>(() => fake.Run(fake.NarrowBuild, stimulus, maxTotalCycles: maxTotalCycles));

        Assert.Contains("did not reach done_o", error.Message);
        var report = error.Report!;
        Assert.True(report.TimedOut);
        Assert.Equal(maxTotalCycles, report.TotalSimCycles);
        var run = Assert.Single(report.Runs);
        Assert.True(run.TimedOut);
        Assert.Equal(maxTotalCycles - ResetCycles - 1, run.Cycles);  // the limit covers reset and host writes too
        var expected = FakeDesign.ExpectedCycles(MemoryModel.PynqZ2HpPort, Beats);
        Assert.Equal([expected.Load, expected.Compute, expected.Store], run.Events.Select(e => e.Cycle));
        Assert.Equal(new DramCounters(1, Beats, Beats), report.Dram);
        Assert.Equal(data, Assert.Single(error.Output!.Reads));
    }

    [RequiresToolsTheory("verilator")]
    [InlineData(false, "a DRAM read request of 96 bytes at address 4064 lies outside the DRAM image of 4096 bytes")]
    [InlineData(true, "a DRAM write of 8 bytes at address 4096 lies outside the DRAM image of 4096 bytes")]
    public void DramAccessOutsideTheImageFailsWithExitCode4(bool write, string expected)
    {
        var design = fake.Narrow;
        uint nearEnd = (uint)(DramBytes - 4 * (ulong)design.DramBeatBytes);  // room for 4 of the 12 beats
        string stimulus = fake.WriteStimulus(design.HostWordBytes, s =>
        {
            s.DramSize(DramBytes);
            s.Write(HostMemory.Registers, 0, write ? design.Descriptor(Source, nearEnd, Beats) : design.Descriptor(nearEnd, Destination, Beats));
            s.Run(GenerousCycleLimit);
        });

        var error = Assert.Throws<CosimException>(() => fake.Run(fake.NarrowBuild, stimulus));

        Assert.IsNotType<CosimTimeoutException>(error);
        Assert.StartsWith("the engine accessed DRAM outside the image", error.Message);
        Assert.Contains(expected, error.Message);
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
        const string good = "wait_d   = wait_q + 4'd1;";
        string verilog = File.ReadAllText(fake.Narrow.Rtl);
        Assert.Contains(good, verilog);
        File.WriteAllText(rtl, verilog.Replace(good, "wait_d   = wait_q + 1'b1 + 8'd0;"));
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
}
