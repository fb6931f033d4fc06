using Accel.Hardware.Config;
using Accel.Hardware.Engine;
using Accel.Link;
using Accel.Link.Testing;
using Xunit;

namespace Accel.Board.Tests;

/// <summary>The protocol's copies of engine facts must stay equal to the engine's.</summary>
public class DriftTests
{
    [Fact]
    public void ProgramRegistersAreTheEngineTopsAndTheTagIsNotOneOfThem()
    {
        Assert.Equal(Top.RegProgramAddress, Registers.ProgramAddress);
        Assert.Equal(Top.RegProgramBytes, Registers.ProgramBytes);
        Assert.DoesNotContain((int)Registers.HostTag, new[] { Top.RegProgramAddress, Top.RegProgramBytes });
        Assert.Equal(3, Registers.Count);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(32)]
    public void AParameterWordIsTheHostPortsWidth(int n)
    {
        var c = new EngineConfig { Rows = n, Cols = n, ParamDepth = 256 };
        Assert.Equal(Top.HostBits(c) / 8, new FakeBoardOptions(n, n).ParameterWordBytes);
    }
}
