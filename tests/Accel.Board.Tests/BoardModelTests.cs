using Accel.Cosim;
using Accel.Cosim.Verilator;
using Accel.Hardware.Engine;
using Accel.Link;
using Accel.Tests;
using Xunit;

namespace Accel.Board.Tests;

/// <summary>The board image is what the cosim harness gets for the same schedule: the same DRAM bytes at the same addresses, registers and parameter words.</summary>
public class BoardModelTests
{
    [RequiresToolsTheory("verilator")]
    [InlineData(false)]
    [InlineData(true)]
    public void TheBoardGetsExactlyWhatCosimWritesIntoTheHarness(bool sparse)
    {
        var t = sparse ? TestModel.Sparse() : TestModel.Pooled();
        var model = BoardModel.Build(t.Schedule, t.Model, sparse, new[] { BoardModel.PooledInput(t.Network) }.OfType<string>());
        if (sparse) Assert.True(model.SparseLoads > 0, "no weight load became sparse");

        var work = Path.Combine(Path.GetTempPath(), "accel-boardmodel-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var cosim = CosimRunner.Run(t.Schedule, t.Model.Convs, t.Input, t.Expected,
                new CosimOptions { WorkDirectory = work, SparseWeights = sparse }, t.Model.PoolRequant);
            Assert.True(cosim.BitExact, cosim.FirstMismatch?.ToString());
            Assert.Equal(cosim.Schedule.PredictedCycles, model.PredictedCycles);

            var path = Path.Combine(work, "stimulus.bin");
            var (hostBytes, commands) = StimulusReader.ReadCommands(path);
            using var file = File.OpenRead(path);
            byte[] Payload(StimulusCommand c, long bytes)
            {
                var b = new byte[bytes];
                file.Position = c.PayloadOffset;
                file.ReadExactly(b);
                return b;
            }
            Assert.Equal(model.ParameterWordBytes, hostBytes);
            Assert.Equal((ulong)model.DramBytes, commands.Single(c => c.Opcode == StimulusOpcode.DramSize).Address);

            var dramWrites = commands.Where(c => c.Opcode == StimulusOpcode.DramWrite).Select(c => (c.Address, Payload(c, c.Count))).ToList();
            // Every region the board gets lies inside one of cosim's DRAM writes, byte for byte. The weight
            // regions are the ranges the loads read: all of cosim's weight image when dense, less when
            // sparse streams leave the tail of their dense ranges unread.
            foreach (var region in model.Regions.Prepend(model.InputRegion(t.Input)))
            {
                var (address, bytes) = dramWrites.Single(w => w.Address <= (ulong)region.Address && (ulong)region.End <= w.Address + (ulong)w.Item2.Length);
                Assert.True(region.Bytes.AsSpan().SequenceEqual(bytes.AsSpan((int)((ulong)region.Address - address), region.Bytes.Length)), $"region {region.Name} differs");
            }
            long cosimWeightBytes = dramWrites.Single(w => w.Address == (ulong)(t.Schedule.WeightDramBase * model.DramWordBytes)).Item2.Length;
            if (sparse) Assert.True(model.WeightBytes < cosimWeightBytes, $"{model.WeightBytes} weight bytes sent, cosim's image {cosimWeightBytes}");
            else Assert.Equal(cosimWeightBytes, model.WeightBytes);

            var regs = commands.Single(c => c.Opcode == StimulusOpcode.Write && c.Memory == HostMemory.Registers);
            var regBytes = Payload(regs, regs.Count * hostBytes);
            foreach (var (register, value) in model.Registers)
            {
                Assert.InRange((long)register - (long)regs.Address, 0, regs.Count - 1);
                Assert.Equal(value, BitConverter.ToUInt32(regBytes, (int)(((long)register - (long)regs.Address) * hostBytes)));
            }
            Assert.Equal(Top.RegProgramAddress, (int)regs.Address);

            var pars = commands.Single(c => c.Opcode == StimulusOpcode.Write && c.Memory == HostMemory.ChannelParams);
            Assert.Equal(0u, (uint)pars.Address);
            Assert.Equal(model.ParameterWords.Count, (int)pars.Count);
            var parBytes = Payload(pars, pars.Count * hostBytes);
            Assert.Equal(parBytes, model.ParameterWords.SelectMany(w => w).ToArray());

            // The tensors the board reads back are among those cosim reads, at the same places and sizes.
            var reads = commands.Where(c => c.Opcode == StimulusOpcode.DramRead).Select(c => (c.Address, c.Count)).ToList();
            foreach (var r in model.ReadBack)
                Assert.Contains(((ulong)(r.Base * model.DramWordBytes), (uint)(r.Words * model.DramWordBytes)), reads);
            Assert.Equal(t.Network.OutputNode, model.OutputNode);
            Assert.Equal(cosim.Outputs[model.OutputNode], t.Expected[model.OutputNode]);
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void RegionsFitTheScheduleAndDoNotOverlap()
    {
        var t = TestModel.Pooled();
        var model = BoardModel.Build(t.Schedule, t.Model, sparseWeights: false, ["b"]);
        var regions = model.Regions.Prepend(model.InputRegion(t.Input)).OrderBy(r => r.Address).ToList();
        for (int i = 1; i < regions.Count; i++) Assert.True(regions[i - 1].End <= regions[i].Address, $"{regions[i - 1].Name} overlaps {regions[i].Name}");
        Assert.True(regions[^1].End <= model.DramBytes);
        Assert.Equal(0, model.Regions.Single(r => r.Name == "program").Address % 4096);
        Assert.Equal(["pool", "b"], model.ReadBack.Select(r => r.Name));
        Assert.All(model.ParameterWords, w => Assert.Equal(model.ParameterWordBytes, w.Length));
        Assert.Equal((Registers.ProgramAddress, (uint)t.Schedule.ProgramDramBase), model.Registers[0]);
        Assert.Equal((Registers.ProgramBytes, (uint)t.Schedule.ProgramBytes), model.Registers[1]);
        // A round trip through the DRAM layout gives the tensor back.
        var packed = model.InputRegion(t.Input).Bytes;
        Assert.Equal(t.Input, model.Unpack(model.InputPlacement, packed));
    }
}
