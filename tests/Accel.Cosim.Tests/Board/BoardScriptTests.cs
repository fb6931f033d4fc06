using System.Buffers.Binary;
using Accel.Cosim.Board;
using Accel.Link;
using Accel.Link.Testing;
using Accel.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Accel.Cosim.Tests.Board;

/// <summary>
/// The board RTL against the C# reference board (FakeBoard): the same host bytes go to both, the
/// decoded answers must agree frame by frame, byte for byte (STATUS cycles and COUNTERS values
/// excepted, which are compared by shape and the counters the two boards must share).
/// </summary>
[Collection(BoardEmulatorCollection.Name)]
public sealed class BoardScriptTests(BoardEmulatorFixture fixture, ITestOutputHelper output)
{
    private static readonly int DramBytes = (int)BoardEmulatorFixture.Board.DramBytes;
    private static readonly int ParamDepth = BoardEmulatorFixture.Engine.ParamDepth!.Value;

    [RequiresToolsFact("verilator")]
    public async Task HelloThroughTheScriptIsTheFakeBoardsAnswer()
    {
        _ = fixture.UartBuild;
        var request = FrameEncoder.Encode(Frame.Request(Command.Hello, 7, []));

        var got = await BoardEmulator.RunScriptAsync(BoardEmulatorFixture.Engine, BoardEmulatorFixture.Board, request);

        Assert.Equal(BoardEmulatorFixture.NewFakeBoard().Receive(request), got);
        var hello = Decode(got).Single();
        Assert.Equal(BoardEmulatorFixture.Engine.Hash(), Convert.ToHexStringLower(hello.Payload, 11, 8));
    }

    [RequiresToolsTheory("verilator")]
    [InlineData(1, 220)]
    [InlineData(2, 220)]
    [InlineData(3, 220)]
    public async Task RandomRequestSequencesAnswerLikeTheFakeBoard(int seed, int requests)
    {
        _ = fixture.UartBuild;
        var script = new ScriptBuilder(new Random(seed));
        script.Build(requests);
        byte[] host = script.Bytes.ToArray();

        var (board, stats) = await BoardEmulator.RunScriptWithStatsAsync(BoardEmulatorFixture.Engine, BoardEmulatorFixture.Board, host);
        var fake = BoardEmulatorFixture.NewFakeBoard();
        byte[] reference = fake.Receive(host);

        var got = Decode(board);
        var expected = Decode(reference);
        output.WriteLine($"seed {seed}: {host.Length} host bytes, {expected.Count} answers, {board.Length} board bytes, " +
            $"{stats.Cycles} cycles in {stats.BusySeconds:F2} s ({stats.CyclesPerBusySecond / 1e6:F2} M cycles/s)");
        for (int i = 0; i < Math.Min(got.Count, expected.Count); i++)
            AssertSameAnswer(expected[i], got[i], i, script.Descriptions);
        Assert.Equal(expected.Count, got.Count);
        Assert.Equal(0, stats.FramingErrors);
        Assert.True(script.Requests >= requests);
    }

    private static void AssertSameAnswer(Frame expected, Frame got, int index, IReadOnlyDictionary<ushort, string> descriptions)
    {
        string what = $"answer {index} ({expected}; request: {descriptions.GetValueOrDefault(expected.Sequence, "?")})";
        Assert.True(expected.Command == got.Command && expected.Flags == got.Flags && expected.Sequence == got.Sequence,
            $"{what}: the board answered {got}");
        switch (expected.Command)
        {
            case Command.Status when expected.Status == ResponseStatus.Ok:
                // state u8 and cycles u64: the fake board's engine never ran, the RTL's cycle counter runs.
                Assert.True(got.Payload.Length == expected.Payload.Length && got.Payload[0] == expected.Payload[0] && got.Payload[1] == expected.Payload[1],
                    $"{what}: STATUS payload {Convert.ToHexString(got.Payload)}, expected the shape of {Convert.ToHexString(expected.Payload)}");
                break;
            case Command.Counters when expected.Status == ResponseStatus.Ok:
            {
                Assert.True(got.Payload.Length == expected.Payload.Length && got.Payload[1] == expected.Payload[1],
                    $"{what}: COUNTERS payload of {got.Payload.Length} bytes ({got.Payload[1]} counters), expected {expected.Payload.Length}");
                // The link's own counters must agree; cycles and the engine's activity are the RTL's alone.
                foreach (var id in new[] { CounterId.FramesReceived, CounterId.FramesDropped, CounterId.Duplicates, CounterId.LoadsCompleted,
                    CounterId.ComputesCompleted, CounterId.StoresCompleted })
                {
                    ulong e = Counter(expected, id), g = Counter(got, id);
                    Assert.True(e == g, $"{what}: counter {id} is {g}, the fake board's {e}");
                }
                break;
            }
            default:
                Assert.True(expected.Payload.AsSpan().SequenceEqual(got.Payload),
                    $"{what}: payload {Hex(got.Payload)}, expected {Hex(expected.Payload)}");
                break;
        }
    }

    private static ulong Counter(Frame counters, CounterId id) => BinaryPrimitives.ReadUInt64LittleEndian(counters.Payload.AsSpan(2 + 8 * (int)id));

    private static string Hex(byte[] b) => b.Length <= 48 ? Convert.ToHexString(b) : $"{Convert.ToHexString(b, 0, 48)}... ({b.Length} bytes)";

    private static List<Frame> Decode(byte[] bytes)
    {
        var frames = new List<Frame>();
        var decoder = new FrameDecoder();
        decoder.Push(bytes, frames);
        Assert.Equal(0, decoder.TotalDropped);  // a board never sends a broken frame
        return frames;
    }

    /// <summary>A random host session: every command, refusals, unaligned memory transfers, duplicates, garbage, broken frames, the seq wrap.</summary>
    private sealed class ScriptBuilder(Random random)
    {
        private ushort seq = (ushort)(65535 - random.Next(100));
        private byte[]? last;
        private readonly List<(uint Address, int Count)> written = [];
        public List<byte> Bytes { get; } = [];
        public Dictionary<ushort, string> Descriptions { get; } = [];
        public int Requests { get; private set; }

        public void Build(int requests)
        {
            Send(Command.Hello, []);
            while (Requests < requests)
            {
                int pick = random.Next(100);
                if (pick < 22) WriteMemory();
                else if (pick < 38) ReadMemory();
                else if (pick < 44) Register(write: true);
                else if (pick < 50) Register(write: false);
                else if (pick < 56) WriteParameter();
                else if (pick < 60) Send(Command.Status, BadLengthOr([]));
                else if (pick < 63) Send(Command.Counters, BadLengthOr([]));
                else if (pick < 66) Send(Command.Hello, BadLengthOr([]));
                else if (pick < 68) Send((Command)new byte[] { 0x00, 0x0B, 0x42, 0xFF }[random.Next(4)], RandomBytes(random.Next(4)));
                else if (pick < 69) Send(Command.Reset, []);
                else if (pick < 77 && last is not null) Duplicate();
                else if (pick < 82) Garbage();
                else if (pick < 87) Corrupted();
                else if (pick < 91) ResponseFlagged();
                else WriteMemory();
            }
            // Everything written, read back at the end.
            foreach (var (address, count) in written.TakeLast(40))
                for (int offset = 0; offset < count; offset += Protocol.MaxReadData)
                    ReadMemory(address + (uint)offset, Math.Min(Protocol.MaxReadData, count - offset));
            Send(Command.Counters, []);
        }

        private void WriteMemory()
        {
            if (random.Next(12) == 0)
            {
                Send(Command.WriteMemory, RandomBytes(random.Next(5)));  // no data: bad length
                return;
            }
            int count = random.Next(4) == 0 ? random.Next(1, 17) : random.Next(1, Protocol.MaxWriteData + 1);
            uint address = Address(count);
            var payload = new byte[4 + count];
            BinaryPrimitives.WriteUInt32LittleEndian(payload, address);
            random.NextBytes(payload.AsSpan(4));
            if (random.Next(8) == 0) payload.AsSpan(4).Fill((byte)(random.Next(2) == 0 ? 0x7E : 0x7D));  // every byte escaped
            if ((ulong)address + (ulong)count <= (ulong)DramBytes) written.Add((address, count));
            Send(Command.WriteMemory, payload);
        }

        private void ReadMemory()
        {
            int kind = random.Next(14);
            if (kind == 0)
            {
                Send(Command.ReadMemory, RandomBytes(random.Next(2) == 0 ? 5 : 7));  // wrong payload size
                return;
            }
            int count = kind == 1 ? (random.Next(2) == 0 ? 0 : random.Next(Protocol.MaxReadData + 1, 65536)) : random.Next(1, Protocol.MaxReadData + 1);
            ReadMemory(Address(Math.Max(count, 1)), count);
        }

        private void ReadMemory(uint address, int count)
        {
            var payload = new byte[6];
            BinaryPrimitives.WriteUInt32LittleEndian(payload, address);
            BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(4), (ushort)count);
            Send(Command.ReadMemory, payload);
        }

        // Mostly inside the DRAM at any alignment; some at its end (just fitting, one byte over) or far past it.
        private uint Address(int count) => random.Next(10) switch
        {
            0 => (uint)(DramBytes - count),
            1 => (uint)(DramBytes - count + random.Next(1, 4)),
            2 => (uint)random.NextInt64(DramBytes, 1L << 32),
            3 => 0xFFFF_FFFF - (uint)random.Next(4),
            _ => (uint)random.Next(0, DramBytes - count + 1),
        };

        private void Register(bool write)
        {
            ushort index = (ushort)(random.Next(6) == 0 ? random.Next(3, 70000) % 65536 : random.Next(Registers.Count));
            var payload = new byte[write ? 6 : 2];
            BinaryPrimitives.WriteUInt16LittleEndian(payload, index);
            if (write) BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(2), (uint)random.NextInt64(1L << 32));
            Send(write ? Command.WriteRegister : Command.ReadRegister, random.Next(10) == 0 ? RandomBytes(payload.Length + 1) : payload);
        }

        private void WriteParameter()
        {
            int wordBytes = BoardEmulatorFixture.NewFakeBoard().Options.ParameterWordBytes;
            int size = random.Next(8) == 0 ? wordBytes + (random.Next(2) == 0 ? -1 : 1) : wordBytes;
            var payload = new byte[2 + size];
            BinaryPrimitives.WriteUInt16LittleEndian(payload, (ushort)(random.Next(6) == 0 ? ParamDepth + random.Next(3) : random.Next(ParamDepth)));
            random.NextBytes(payload.AsSpan(2));
            Send(Command.WriteParameter, payload);
        }

        private byte[] BadLengthOr(byte[] payload) => random.Next(8) == 0 ? RandomBytes(random.Next(1, 9)) : payload;

        private byte[] RandomBytes(int n)
        {
            var b = new byte[n];
            random.NextBytes(b);
            return b;
        }

        private void Send(Command command, byte[] payload)
        {
            var wire = FrameEncoder.Encode(Frame.Request(command, seq, payload));
            Descriptions[seq] = $"{command} seq {seq}, {payload.Length} payload bytes {Hex(payload)}";
            seq = unchecked((ushort)(seq + 1));
            Requests++;
            last = wire;
            Bytes.AddRange(wire);
        }

        // The same frame again (a host's resend after a lost answer).
        private void Duplicate() => Bytes.AddRange(last!);

        // Bytes between frames; they join the next frame's body as junk and are dropped with it.
        private void Garbage() => Bytes.AddRange(RandomBytes(random.Next(1, 40)).Select(b => b == Protocol.Flag ? (byte)0 : b));

        // A frame with one bit flipped: dropped by both (CRC, length or escape), never answered.
        private void Corrupted()
        {
            var wire = FrameEncoder.Encode(Frame.Request(Command.ReadRegister, seq, [0, 0]));
            int at = random.Next(1, wire.Length - 1);
            wire[at] ^= (byte)(1 << random.Next(8));
            Bytes.AddRange(wire);
        }

        // A frame with the response flag: never acted on.
        private void ResponseFlagged()
        {
            var frame = new Frame(Command.WriteRegister, FrameFlags.Response, seq, [0, 0, 1, 2, 3, 4]);
            Bytes.AddRange(FrameEncoder.Encode(frame));
        }
    }
}
