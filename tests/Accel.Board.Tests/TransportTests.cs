using System.Buffers.Binary;
using Accel.Link;
using Accel.Link.Testing;
using Accel.Link.Transports;
using Accel.Tests;
using Xunit;

namespace Accel.Board.Tests;

/// <summary>The real transports: serial ports (on a pseudo-terminal, as the emulator exposes one) and the XDMA device files (on FIFOs).</summary>
public class TransportTests
{
    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "accel-transport-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public void AMissingPortIsNamedWithThePortsThereAre()
    {
        var e = Assert.Throws<IOException>(() => SerialTransport.Open("/dev/ttyUSB9", 3_000_000));
        Assert.StartsWith("no serial port at /dev/ttyUSB9 (serial ports here: ", e.Message);
        Assert.EndsWith(")", e.Message);
    }

    [Fact]
    public void DevNullIsNotASerialPort()
    {
        var e = Assert.Throws<IOException>(() => SerialTransport.Open("/dev/null", 3_000_000));
        Assert.StartsWith("/dev/null is not a serial port (the OS says: Inappropriate ioctl for device)", e.Message);
    }

    [Fact]
    public void ARegularFileOrAFolderIsNotASerialPort()
    {
        var dir = TempDir();
        try
        {
            var file = Path.Combine(dir, "ttyFake");
            File.WriteAllText(file, "not a terminal");
            var e = Assert.Throws<IOException>(() => SerialTransport.Open(file, 115_200));
            Assert.StartsWith($"{file} is not a serial port", e.Message);
            e = Assert.Throws<IOException>(() => SerialTransport.Open(dir, 115_200));
            Assert.Equal($"{dir} is a directory, not a serial port", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task TheBoardApiRunsOverASerialPortOnAPseudoTerminal()
    {
        var (master, slave) = Posix.OpenPty();
        var t = TestModel.Pooled();
        var model = BoardModel.Build(t.Schedule, t.Model, sparseWeights: false);
        var fake = new FakeBoard(new FakeBoardOptions(4, 4, 1 << 20, model.Config.ParamDepth!.Value) { ConfigHash = model.ConfigHash }, master);
        fake.Engine = b =>
        {
            var o = model.OutputPlacement;
            Hardware.Program.EngineImage.ToDram(o.Pack(t.Expected[o.Name], model.Lanes), model.Lanes, model.DramWordBytes).CopyTo(b.Dram, o.Base * model.DramWordBytes);
            return new EngineRun(777);
        };
        using var stop = new CancellationTokenSource();
        var served = Task.Run(() => fake.RunAsync(stop.Token));
        try
        {
            var stream = SerialTransport.Open(slave, 3_000_000, new SerialTimeouts(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)));
            await using (var board = new Board(stream, $"uart:{slave}@3000000"))
            {
                var info = await board.ConnectAsync();
                Assert.Equal(model.ConfigHash, info.ConfigHash);
                await board.LoadModelAsync(model);
                var result = await board.RunAsync(t.Input);
                Assert.Equal(t.Expected[t.Network.OutputNode], result.Output);
                Assert.Equal(777ul, result.Cycles);
                // A loaded machine may let a 50 ms first wait pass before the pty delivers an answer.
                Assert.InRange(board.Link.Retries, 0, 2);
            }
            // The host closed the slave: the board's read ends.
            await served.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            stop.Cancel();
            master.Dispose();
        }
    }

    [Fact]
    public void XdmaFilesThatAreMissingAreNamed()
    {
        var dir = TempDir();
        try
        {
            var prefix = Path.Combine(dir, "xdma0");
            File.WriteAllBytes(prefix + "_user", new byte[4096]);
            var e = Assert.Throws<IOException>(() => XdmaTransport.Open(prefix));
            Assert.StartsWith($"no XDMA board at {prefix}: {prefix}_h2c_0, {prefix}_c2h_0 not found", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void AnXdmaDeviceWithAnotherIdIsRefused()
    {
        var dir = TempDir();
        try
        {
            var prefix = Path.Combine(dir, "xdma0");
            var user = new byte[4096];
            BinaryPrimitives.WriteUInt32LittleEndian(user, 0x12345678);
            File.WriteAllBytes(prefix + "_user", user);
            Posix.MakeFifo(prefix + "_h2c_0");
            Posix.MakeFifo(prefix + "_c2h_0");
            var e = Assert.Throws<IOException>(() => XdmaTransport.Open(prefix));
            Assert.Contains("reads 0x12345678, expected 0x4C434341 (\"ACCL\")", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task TheLinkRunsOverXdmaStyleFifos()
    {
        var dir = TempDir();
        var prefix = Path.Combine(dir, "xdma0");
        try
        {
            var user = new byte[4096];
            BinaryPrimitives.WriteUInt32LittleEndian(user, XdmaTransport.Id);
            File.WriteAllBytes(prefix + "_user", user);
            Posix.MakeFifo(prefix + "_h2c_0");
            Posix.MakeFifo(prefix + "_c2h_0");
            // The board's side: read h2c, write c2h (each open waits for the host's).
            var boardSide = Task.Run(() =>
            {
                var h2c = new FileStream(prefix + "_h2c_0", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0);
                var c2h = new FileStream(prefix + "_c2h_0", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 0);
                return new FakeBoard(new FakeBoardOptions(8, 8) { ConfigHash = "00112233445566ff" }, new DuplexStream(h2c, c2h));
            });
            await using var board = new Board(XdmaTransport.Open(prefix), $"xdma:{prefix}");
            var fake = await boardSide.WaitAsync(TimeSpan.FromSeconds(10));
            var served = Task.Run(() => fake.RunAsync());
            var info = await board.ConnectAsync();
            Assert.Equal((8, 8, "00112233445566ff"), ((int)info.Rows, (int)info.Cols, info.ConfigHash));
            var data = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
            await board.Commands.WriteMemoryAsync(0x100, data, verify: true);
            await board.DisposeAsync();
            await served.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally { Directory.Delete(dir, true); }
    }
}
