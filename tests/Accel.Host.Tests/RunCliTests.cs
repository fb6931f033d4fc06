using System.Text;
using Accel.Board;
using Accel.Cosim;
using Accel.Golden;
using Accel.Golden.Testing;
using Accel.Hardware.Config;
using Accel.Hardware.Program;
using Accel.Link.Testing;
using Accel.Model.Networks;
using Accel.Tests;
using Xunit;

namespace Accel.Host.Tests;

/// <summary>`accel run`: user errors are one line; a board served over a pseudo-terminal in this process runs a whole inference.</summary>
public class RunCliTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string TinyJson = """
        { "name": "tiny_board", "input": [5, 9, 9], "layers": [
          { "type": "conv", "name": "a", "out": 12, "kernel": 3, "pad": 1 },
          { "type": "conv", "name": "b", "out": 11, "kernel": 1 },
          { "type": "gavgpool", "name": "pool" } ] }
        """;

    [Theory]
    [InlineData("usb:/dev/ttyUSB1", "board address 'usb:/dev/ttyUSB1': unknown link 'usb'")]
    [InlineData("uart:/dev/ttyUSB1@fast", "baud 'fast'")]
    [InlineData("/dev/ttyUSB1", "expected uart:PATH[@BAUD]")]
    public void BadBoardTextIsOneLine(string board, string mentions) =>
        CliTests.AssertOneErrorLine(CliRunner.Run("run", "--board", board, "--model", "squeezenet1_1"), mentions);

    [Fact]
    public void AMissingPortIsOneLine() =>
        CliTests.AssertOneErrorLine(CliRunner.Run("run", "--board", "uart:/dev/ttyUSB9", "--model", "squeezenet1_1"),
            "no serial port at /dev/ttyUSB9 (serial ports here: ");

    [Fact]
    public void AFileThatIsNotASerialPortIsOneLine() =>
        CliTests.AssertOneErrorLine(CliRunner.Run("run", "--board", "uart:/dev/null@115200", "--model", "squeezenet1_1"),
            "/dev/null is not a serial port");

    [Fact]
    public void MissingXdmaFilesAreOneLine() =>
        CliTests.AssertOneErrorLine(CliRunner.Run("run", "--board", "xdma:/dev/xdma_none", "--model", "squeezenet1_1"),
            "no XDMA board at /dev/xdma_none");

    [Fact]
    public void ASilentBoardIsOneLine()
    {
        var (master, slave) = Posix.OpenPty(); // nobody answers on the master
        using (master)
        {
            var r = CliRunner.Run("run", "--board", $"uart:{slave}", "--model", TinyFile(), "--rows", "4", "--cols", "4");
            CliTests.AssertOneErrorLine(r, $"no answer from the board at uart:{slave}@3000000 after 8 attempts");
            Assert.Contains("(is it powered, is the baud right?)", r.Stderr);
        }
    }

    [Fact]
    public async Task ABoardOfAnotherSizeIsOneLineNamingTheOptions()
    {
        await using var served = Serve(new FakeBoardOptions(8, 8) { ConfigHash = "0123456789abcdef" }, tamper: false);
        var r = CliRunner.Run("run", "--board", $"uart:{served.Slave}", "--model", TinyFile(), "--rows", "4", "--cols", "4");
        CliTests.AssertOneErrorLine(r, "the model was compiled for a 4x4 engine");
        Assert.Contains("rerun with --rows 8 --cols 8", r.Stderr);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ARunOverAPseudoTerminalIsCheckedAgainstTheGoldenModel(bool tamper)
    {
        var (net, model) = Tiny();
        await using var served = Serve(new FakeBoardOptions(4, 4, 1 << 20, model.Config.ParamDepth!.Value) { ConfigHash = model.ConfigHash }, tamper);
        var r = CliRunner.Run("run", "--board", $"uart:{served.Slave}", "--model", TinyFile(), "--rows", "4", "--cols", "4", "--check", "--json");
        Assert.True(r.ExitCode == (tamper ? 3 : 0), r.Stderr);
        var j = r.Json;
        Assert.Equal(!tamper, j.GetProperty("check").GetProperty("identical").GetBoolean());
        Assert.Equal(tamper ? 1 : 0, j.GetProperty("check").GetProperty("differing").GetInt32());
        Assert.Equal(4242ul, j.GetProperty("cycles").GetUInt64());
        Assert.Equal(model.ConfigHash, j.GetProperty("boardConfig").GetString());
        var stages = j.GetProperty("stages").EnumerateArray().ToDictionary(s => s.GetProperty("stage").GetString()!);
        Assert.Equal(model.LoadBytes, stages["weights"].GetProperty("payloadBytes").GetInt64());
        Assert.Equal(model.ReadBackBytes, stages["readback"].GetProperty("payloadBytes").GetInt64());
        Assert.True(stages["weights"].GetProperty("lineEfficiency").GetDouble() > 0);
        Assert.Equal(5, j.GetProperty("top5").GetArrayLength());
        Assert.Equal(1, served.Board.ExecutedOf(Link.Command.Start));

        var human = CliRunner.Run("run", "--board", $"uart:{served.Slave}", "--model", TinyFile(), "--rows", "4", "--cols", "4", "--check");
        output.WriteLine(human.Stdout);
        output.WriteLine(human.Stderr);
        Assert.Equal(tamper ? 3 : 0, human.ExitCode);
        Assert.Contains("top-5 from the board's logits", human.Stdout);
        Assert.Contains("line efficiency", human.Stdout);
        Assert.Contains(tamper ? "check: MISMATCH, 1 of 11 output elements differ" : "check: the board's output is identical", human.Stdout);
    }

    private static string? tinyFile;

    private static string TinyFile() => tinyFile ??= CliRunner.TempFile("tiny_board.json", Encoding.UTF8.GetBytes(TinyJson));

    /// <summary>The board image `accel run` builds for the tiny network (seeded weights, seed 1, on a 4x4 engine).</summary>
    private static (Network, BoardModel) Tiny()
    {
        var net = NetworkJson.Load(TinyFile());
        var q = RandomQuantizedModel.Create(net, 1);
        var schedule = CosimBuildProfile.Plan(net, new EngineConfig { Rows = 4, Cols = 4 });
        return (net, BoardModel.Build(schedule, q, sparseWeights: false, [BoardModel.PooledInput(net)!]));
    }

    private sealed class Served(FakeBoard board, string slave, FileStream master, Task serving, CancellationTokenSource stop) : IAsyncDisposable
    {
        public FakeBoard Board => board;
        public string Slave => slave;

        public async ValueTask DisposeAsync()
        {
            stop.Cancel();
            master.Dispose();
            await Task.WhenAny(serving, Task.Delay(TimeSpan.FromSeconds(5)));
            stop.Dispose();
        }
    }

    /// <summary>
    /// A FakeBoard on the master of a new pseudo-terminal whose engine computes: it reads the input
    /// the host put in DRAM, runs the scalar golden model on the tiny network's seeded weights and
    /// writes the read-back tensors where the schedule places them (one logit off with <paramref name="tamper"/>).
    /// </summary>
    private static Served Serve(FakeBoardOptions options, bool tamper)
    {
        var (net, model) = Tiny();
        var q = RandomQuantizedModel.Create(net, 1);
        var (master, slave) = Posix.OpenPty();
        var board = new FakeBoard(options, master)
        {
            Engine = b =>
            {
                var input = model.Unpack(model.InputPlacement, b.Dram.AsSpan((int)model.InputAddress, model.InputBytes));
                var acts = new ScalarReference().Run(q, input).Activations;
                foreach (var t in model.ReadBack)
                {
                    var values = (sbyte[])acts[t.Name].Data.Clone();
                    if (tamper && t.Name == model.OutputNode) values[3] ^= 0x01;
                    EngineImage.ToDram(t.Pack(values, model.Lanes), model.Lanes, model.DramWordBytes).CopyTo(b.Dram, t.Base * model.DramWordBytes);
                }
                return new EngineRun(4242) { PollsUntilDone = 2 };
            },
        };
        var stop = new CancellationTokenSource();
        // The pty's master keeps serving across host sessions (each CLI run opens and closes the slave).
        var serving = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await board.RunAsync(stop.Token);
                await Task.Delay(20);
            }
        });
        return new Served(board, slave, master, serving, stop);
    }
}
