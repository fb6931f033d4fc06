using Accel.Cosim.Verilator;
using CsCheck;
using Xunit;

namespace Accel.Cosim.Tests.Verilator;

/// <summary>The C# side of the testbench's file formats; no verilator needed.</summary>
public sealed class StimulusFormatTests
{
    private const int WordBytes = 16;

    [Fact]
    public void HeaderIsTheMagicThenTheHostWordSize()
    {
        var stream = new MemoryStream();
        using (var writer = new StimulusWriter(stream, hostWordBytes: 32, leaveOpen: true)) writer.End();

        Assert.Equal([.. "ACCSTIM2"u8, 32, 0, 0, 0, 0x00], stream.ToArray());
    }

    [Fact]
    public void WriteRejectsAPartialHostWordAndAnUnknownMemory()
    {
        using var writer = new StimulusWriter(new MemoryStream(), WordBytes);

        Assert.Throws<ArgumentException>(() => writer.Write(HostMemory.ChannelParams, 0, new byte[24]));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write((HostMemory)2, 0, new byte[WordBytes]));
    }

    [Fact]
    public void DramCommandsMustLieInsideTheDramSize()
    {
        using var writer = new StimulusWriter(new MemoryStream(), WordBytes);

        Assert.Throws<ArgumentOutOfRangeException>(() => writer.DramRead(0, 1));  // no DRAM_SIZE yet
        writer.DramSize(64);
        writer.DramWrite(60, new byte[4]);
        writer.DramRead(0, 64);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.DramWrite(61, new byte[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.DramRead(64, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.DramRead(ulong.MaxValue, 2));  // wraps past 2^64
        Assert.Equal([64u], writer.ReadByteCounts);
    }

    [Fact]
    public void CommandsAfterEndAreRefused()
    {
        using var writer = new StimulusWriter(new MemoryStream(), WordBytes);
        writer.End();

        Assert.Throws<InvalidOperationException>(() => writer.Run(1));
        Assert.Throws<InvalidOperationException>(() => writer.DramSize(1));
    }

    // One random command: kind, then three numbers it draws its fields from.
    private static readonly Gen<(int Kind, uint A, uint B, ulong C)> Command =
        Gen.Select(Gen.Int[0, 4], Gen.UInt[0, 1000], Gen.UInt[0, 40], Gen.ULong[1, ulong.MaxValue]);

    [Fact]
    public void WrittenCommandsReadBackInOrder()
    {
        Command.Array[0, 16].Sample(commands =>
        {
            var stream = new MemoryStream();
            var expected = new List<(StimulusOpcode Opcode, HostMemory Memory, ulong Address, uint Count, ulong MaxCycles, byte[]? Payload)>();
            IReadOnlyList<uint> readByteCounts;
            using (var writer = new StimulusWriter(stream, WordBytes, leaveOpen: true))
            {
                ulong dramSize = 0;
                foreach (var (kind, a, b, c) in commands)
                {
                    switch (kind)
                    {
                        case 0:
                        {
                            var memory = (HostMemory)(c % 2);
                            byte[] words = Payload(b * WordBytes, a);
                            writer.Write(memory, a, words);
                            expected.Add((StimulusOpcode.Write, memory, a, b, 0, words));
                            break;
                        }
                        case 1:
                            writer.Run(c);
                            expected.Add((StimulusOpcode.Run, 0, 0, 0, c, null));
                            break;
                        case 2:
                            dramSize = a;
                            writer.DramSize(dramSize);
                            expected.Add((StimulusOpcode.DramSize, 0, dramSize, 0, 0, null));
                            break;
                        default:
                        {
                            // An address and a length inside the current DRAM size (possibly empty).
                            ulong address = c % (dramSize + 1);
                            uint count = (uint)Math.Min(b, dramSize - address);
                            if (kind == 3)
                            {
                                byte[] bytes = Payload(count, a);
                                writer.DramWrite(address, bytes);
                                expected.Add((StimulusOpcode.DramWrite, 0, address, count, 0, bytes));
                            }
                            else
                            {
                                writer.DramRead(address, count);
                                expected.Add((StimulusOpcode.DramRead, 0, address, count, 0, null));
                            }
                            break;
                        }
                    }
                }
                writer.End();
                readByteCounts = [.. writer.ReadByteCounts];
            }
            byte[] file = stream.ToArray();
            stream.Position = 0;

            var (hostWordBytes, read) = StimulusReader.ReadCommands(stream);

            Assert.Equal(WordBytes, hostWordBytes);
            Assert.Equal(expected.Count + 1, read.Count);
            Assert.Equal(StimulusOpcode.End, read[^1].Opcode);
            Assert.Equal(file.Length - 1, read[^1].Offset);
            Assert.Equal(12, read[0].Offset);  // right after the header
            for (int i = 0; i < expected.Count; i++)
            {
                var (opcode, memory, address, count, maxCycles, payload) = expected[i];
                var command = read[i];
                Assert.Equal((opcode, memory, address, count, maxCycles), (command.Opcode, command.Memory, command.Address, command.Count, command.MaxCycles));
                Assert.Equal((byte)opcode, file[command.Offset]);
                if (payload is not null)
                    Assert.Equal(payload, file.AsSpan((int)command.PayloadOffset, payload.Length).ToArray());
            }
            Assert.Equal(read.Where(c => c.Opcode == StimulusOpcode.DramRead).Select(c => c.Count), readByteCounts);
        });
    }

    [Fact]
    public void EveryPrefixOfAStimulusIsRejectedAsTruncated()
    {
        Command.Array[1, 6].Sample(commands =>
        {
            var stream = new MemoryStream();
            using (var writer = new StimulusWriter(stream, WordBytes, leaveOpen: true))
            {
                writer.DramSize(64);
                foreach (var (kind, a, b, c) in commands)
                {
                    if (kind == 0) writer.Write(HostMemory.Registers, a, new byte[b % 3 * WordBytes]);
                    else if (kind == 1) writer.Run(c);
                    else if (kind == 2) writer.DramWrite(a % 32, new byte[b % 32]);
                    else writer.DramRead(a % 32, b % 32);
                }
                writer.End();
            }
            byte[] file = stream.ToArray();

            for (int length = 0; length < file.Length; length++)
            {
                var error = Assert.Throws<CosimException>(() => StimulusReader.ReadCommands(new MemoryStream(file, 0, length)));
                Assert.StartsWith("stimulus truncated at byte offset ", error.Message);
            }
        });
    }

    [Fact]
    public void ReaderNamesTheOffsetOfABadMagicAndAnUnknownOpcode()
    {
        byte[] badMagic = [.. "ACCSTIM1"u8, 16, 0, 0, 0, 0x00];
        byte[] oldRead = [.. "ACCSTIM2"u8, 16, 0, 0, 0, 0x03, 0, 0, 0, 0, 1, 0, 0, 0, 0x00];

        Assert.Contains("bad magic at byte offset 0", Assert.Throws<CosimException>(() => StimulusReader.ReadCommands(new MemoryStream(badMagic))).Message);
        Assert.Contains("unknown opcode 0x03 at byte offset 12", Assert.Throws<CosimException>(() => StimulusReader.ReadCommands(new MemoryStream(oldRead))).Message);
    }

    [Fact]
    public void ReadByteCountsOfAFileAreThoseOfItsDramReads()
    {
        string path = Path.GetTempFileName();
        try
        {
            using (var writer = StimulusWriter.Create(path, WordBytes))
            {
                writer.DramSize(100);
                writer.DramRead(0, 10);
                writer.DramWrite(0, new byte[7]);
                writer.Run(5);
                writer.DramRead(90, 10);
                writer.DramRead(3, 0);
                writer.End();
            }

            Assert.Equal([10u, 10u, 0u], StimulusReader.ReadByteCounts(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void OutputSplitsByReadCommand()
    {
        byte[] data = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

        var output = HarnessOutput.Split(data, [2, 0, 8], wordBytes: 1);

        Assert.Equal([[1, 2], [], [3, 4, 5, 6, 7, 8, 9, 10]], output.Reads);
        Assert.Equal([[1, 2], [], [3, 4, 5, 6, 7, 8, 9, 10]], HarnessOutput.Split(data, [1, 0, 4], wordBytes: 2).Reads);
        Assert.Throws<CosimException>(() => HarnessOutput.Split(data, [2, 10], wordBytes: 1));
        Assert.Throws<CosimException>(() => HarnessOutput.Split(data, [2, 7], wordBytes: 1));  // bytes left over
        Assert.Single(HarnessOutput.Split(data.AsSpan(0, 4), [2, 8], wordBytes: 1, allowShort: true).Reads);
    }

    [Fact]
    public void ReportParses()
    {
        var report = HarnessReport.Parse("""
            {"configHash": "abc", "rows": 16, "cols": 8, "hostWordBytes": 32, "dramBeatBytes": 8,
             "memory": {"readLatency": 32, "writeLatency": 16, "beatsPerCycle": 1.000000, "outstanding": 8},
             "dram": {"readRequests": 3, "readBeats": 40, "writeBeats": 12, "insnReadRequests": 2, "insnReadBeats": 21},
             "runs": [
              {"cycles": 120, "activeCycles": 100, "timedOut": false, "events": [{"unit": 0, "cycle": 45, "activeCycles": 0}, {"unit": 1, "cycle": 60, "activeCycles": 50}, {"unit": 2, "cycle": 119, "activeCycles": 100}]},
              {"cycles": 7, "activeCycles": 0, "timedOut": true, "events": []}
             ],
             "totalSimCycles": 400, "wallSeconds": 0.125}
            """);

        Assert.Equal(("abc", 16, 8, 32, 8), (report.ConfigHash, report.Rows, report.Cols, report.HostWordBytes, report.DramBeatBytes));
        Assert.Equal((400UL, 0.125), (report.TotalSimCycles, report.WallSeconds));
        Assert.Equal(new DramCounters(3, 40, 12, 2, 21), report.Dram);
        Assert.Equal(2, report.Runs.Count);
        var run = report.Runs[0];
        Assert.Equal((120UL, 100UL, false), (run.Cycles, run.ActiveCycles, run.TimedOut));
        Assert.Equal([new UnitEvent(0, 45, 0), new UnitEvent(1, 60, 50), new UnitEvent(2, 119, 100)], run.Events);
        Assert.Empty(report.Runs[1].Events);
        Assert.True(report.TimedOut);
    }

    [Fact]
    public void ReportWithoutOptionalFieldsParses()
    {
        var report = HarnessReport.Parse("""{"configHash": "abc", "rows": 1, "cols": 1, "runs": [], "totalSimCycles": 4, "wallSeconds": 0}""");

        Assert.Equal((0, 0, null), (report.HostWordBytes, report.DramBeatBytes, report.Dram));
        Assert.False(report.TimedOut);
    }

    [Theory]
    [InlineData("""{"configHash": "abc", "rows": 1, "cols": 1, "runs": []}""", "totalSimCycles")]
    [InlineData("""{"configHash": "abc", "rows": 1, "cols": 1, "runs": [], "totalSimCycles": 4, "wallSeconds": 0, "dram": {"readRequests": 1, "readBeats": 2}}""", "writeBeats")]
    [InlineData("""{"configHash": "abc", "rows": 1, "cols": 1, "runs": [{"cycles": 1, "activeCycles": 0, "timedOut": false}], "totalSimCycles": 4, "wallSeconds": 0}""", "events")]
    [InlineData("""{"configHash": "abc", "rows": 1, "cols": 1, "runs": [{"cycles": 1, "activeCycles": 0, "timedOut": false, "events": [{"cycle": 1, "activeCycles": 0}]}], "totalSimCycles": 4, "wallSeconds": 0}""", "unit")]
    public void ReportWithoutAFieldIsRejectedNamingIt(string json, string missing)
    {
        var error = Assert.Throws<CosimException>(() => HarnessReport.Parse(json));

        Assert.Contains($"missing \"{missing}\"", error.Message);
    }

    // Recognisable bytes, so that a payload read from the wrong offset does not match by chance.
    private static byte[] Payload(uint count, uint seed)
    {
        var bytes = new byte[count];
        new Random((int)seed).NextBytes(bytes);
        return bytes;
    }
}
