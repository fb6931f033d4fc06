using Accel.Cosim.Verilator;
using CsCheck;
using Xunit;

namespace Accel.Cosim.Tests.Verilator;

/// <summary>The C# side of the testbench's file formats; no verilator needed.</summary>
public sealed class StimulusFormatTests
{
    [Fact]
    public void WriteRejectsAPartialHostWord()
    {
        using var writer = new StimulusWriter(new MemoryStream(), hostWordBytes: 16);

        Assert.Throws<ArgumentException>(() => writer.Write(HostMemory.Weights, 0, new byte[24]));
    }

    [Fact]
    public void CommandsAfterEndAreRefused()
    {
        using var writer = new StimulusWriter(new MemoryStream(), hostWordBytes: 16);
        writer.End();

        Assert.Throws<InvalidOperationException>(() => writer.Run(1));
    }

    [Fact]
    public void WrittenCommandsReadBackInOrder()
    {
        Gen.Select(Gen.Int[0, 3], Gen.UInt[0, 1000], Gen.UInt[0, 5], Gen.ULong[1, ulong.MaxValue]).Array[0, 12]
            .Sample(commands =>
            {
                const int wordBytes = 16;
                var stream = new MemoryStream();
                using (var writer = new StimulusWriter(stream, wordBytes, leaveOpen: true))
                {
                    foreach (var (kind, address, count, cycles) in commands)
                    {
                        if (kind == 0) writer.Write(HostMemory.Weights, address, new byte[count * wordBytes]);
                        else if (kind == 1) writer.Run(cycles);
                        else writer.Read(address, count);
                    }
                    writer.End();
                }
                stream.Position = 0;

                var (hostWordBytes, read) = StimulusReader.ReadCommands(stream);

                Assert.Equal(wordBytes, hostWordBytes);
                Assert.Equal(commands.Length + 1, read.Count);
                Assert.Equal(StimulusOpcode.End, read[^1].Opcode);
                Assert.Equal(stream.Length - 1, read[^1].Offset);
                for (int i = 0; i < commands.Length; i++)
                {
                    var (kind, address, count, cycles) = commands[i];
                    var expected = kind switch
                    {
                        0 => (StimulusOpcode.Write, address, count, 0UL),
                        1 => (StimulusOpcode.Run, 0u, 0u, cycles),
                        _ => (StimulusOpcode.Read, address, count, 0UL),
                    };
                    Assert.Equal(expected, (read[i].Opcode, read[i].Address, read[i].Count, read[i].MaxCycles));
                }
            });
    }

    [Fact]
    public void OutputSplitsByReadCommand()
    {
        byte[] data = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

        var output = HarnessOutput.Split(data, [1, 0, 4], wordBytes: 2);

        Assert.Equal([[1, 2], [], [3, 4, 5, 6, 7, 8, 9, 10]], output.Reads);
        Assert.Throws<CosimException>(() => HarnessOutput.Split(data, [1, 5], wordBytes: 2));
        Assert.Single(HarnessOutput.Split(data.AsSpan(0, 4), [1, 4], wordBytes: 2, allowShort: true).Reads);
    }

    [Fact]
    public void ReportParses()
    {
        var report = HarnessReport.Parse("""
            {"configHash": "abc", "rows": 16, "cols": 8, "runs": [
              {"cycles": 120, "activeCycles": 100, "timedOut": false,
               "instructions": [{"retireCycle": 60, "activeCycles": 50}, {"retireCycle": 119, "activeCycles": 100}]}],
             "totalSimCycles": 400, "wallSeconds": 0.125}
            """);

        Assert.Equal(("abc", 16, 8, 400UL, 0.125), (report.ConfigHash, report.Rows, report.Cols, report.TotalSimCycles, report.WallSeconds));
        var run = Assert.Single(report.Runs);
        Assert.Equal(new RetiredInstruction(119, 100), run.Instructions[1]);
        Assert.False(report.TimedOut);
    }

    [Fact]
    public void ReportWithoutAFieldIsRejectedNamingIt()
    {
        var error = Assert.Throws<CosimException>(() => HarnessReport.Parse("""{"configHash": "abc", "rows": 1, "cols": 1, "runs": []}"""));

        Assert.Contains("totalSimCycles", error.Message);
    }
}
