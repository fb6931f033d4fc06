using Accel.Cosim.Board;
using Accel.Cosim.Verilator;
using Accel.Hardware.Board;
using Accel.Hardware.Config;
using Accel.Link.Testing;
using Xunit;

namespace Accel.Cosim.Tests.Board;

/// <summary>The small board every emulator test uses: a 4x4 engine with small buffers, the emulator's fast UART, 1 MiB of DRAM.</summary>
public sealed class BoardEmulatorFixture
{
    public static readonly EngineConfig Engine = new()
    {
        Rows = 4, Cols = 4, InputDepth = 64, OutputDepth = 64, WeightDepth = 64, ParamDepth = 4, AccumulatorDepth = 64,
    };

    public static readonly BoardConfig Board = BoardConfig.Emulated with { DramBytes = 1 << 20 };

    private readonly Lazy<BuildResult> uart = new(() => BoardEmulator.BuildAsync(Engine, Board).GetAwaiter().GetResult());
    private readonly Lazy<BuildResult> xdma = new(() => BoardEmulator.BuildAsync(Engine, Board, xdma: true).GetAwaiter().GetResult());

    /// <summary>Builds (or finds cached) the UART emulator once for the collection.</summary>
    public BuildResult UartBuild => uart.Value;

    public BuildResult XdmaBuild => xdma.Value;

    /// <summary>The C# reference board with this board's DRAM, engine, parameter buffer and window (its frame slots).</summary>
    public static FakeBoard NewFakeBoard() => new(new FakeBoardOptions(Engine.Rows, Engine.Cols, (uint)Board.DramBytes, Engine.ParamDepth!.Value)
    {
        ConfigHash = Engine.Hash(),
        Window = Board.FrameSlots,
    });

    public static Task<BoardEmulator> StartAsync(EmulatorOptions? options = null) =>
        BoardEmulator.StartAsync(Engine, Board, options ?? new EmulatorOptions { MaxLifetime = TimeSpan.FromMinutes(10) });
}

[CollectionDefinition(Name)]
public sealed class BoardEmulatorCollection : ICollectionFixture<BoardEmulatorFixture>
{
    public const string Name = "Board emulator";
}

/// <summary>
/// The timing measurements count the host's turnaround in board time, so nothing else in the test
/// process may compete for the two cores meanwhile: this collection runs alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BoardTimingCollection : ICollectionFixture<BoardEmulatorFixture>
{
    public const string Name = "Board timing";
}
