using System.Text;
using Accel.Link;
using CsCheck;
using Xunit;

namespace Accel.Link.Tests;

public class FrameTests
{
    private static readonly Gen<Frame> FrameGen =
        Gen.Select(Gen.Byte, Gen.Byte[0, 3], Gen.UShort,
            Gen.OneOf(
                Gen.Byte.Array[0, Protocol.MaxPayload],
                Gen.OneOf<byte>((byte)0x7E, (byte)0x7D, (byte)0x5E, (byte)0x5D, (byte)0x20).Array[0, Protocol.MaxPayload],
                Gen.Const(Array.Empty<byte>()),
                Gen.Byte.Array[Protocol.MaxPayload]),
            (cmd, flags, seq, payload) => new Frame((Command)cmd, (FrameFlags)flags, seq, payload));

    private static List<Frame> DecodeAll(FrameDecoder decoder, ReadOnlySpan<byte> bytes)
    {
        var frames = new List<Frame>();
        decoder.Push(bytes, frames);
        return frames;
    }

    [Fact]
    public void Crc32IsTheIeeeOneOnKnownVectors()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0x00000000u, Crc32.Compute([]));
        Assert.Equal(0x414FA339u, Crc32.Compute(Encoding.ASCII.GetBytes("The quick brown fox jumps over the lazy dog")));
        var random = new Random(6);
        for (int i = 0; i < 200; i++)
        {
            var data = new byte[random.Next(0, 1100)];
            random.NextBytes(data);
            Assert.Equal(Crc32.Compute(data), Crc32.ComputeBitwise(data));
        }
    }

    [Fact]
    public void RoundTripKeepsEveryFrameAndNeverLeavesARawFlagInTheBody()
    {
        FrameGen.Sample(frame =>
        {
            var wire = FrameEncoder.Encode(frame);
            Assert.Equal(Protocol.Flag, wire[0]);
            Assert.Equal(Protocol.Flag, wire[^1]);
            Assert.DoesNotContain(Protocol.Flag, wire.AsSpan(1, wire.Length - 2).ToArray());
            Assert.True(wire.Length <= Protocol.MaxEncodedBytes);
            Assert.Equal(wire.Length, FrameEncoder.EncodedLength(frame));
            var decoder = new FrameDecoder();
            var frames = DecodeAll(decoder, wire);
            Assert.Equal(frame, Assert.Single(frames));
            Assert.Equal(0, decoder.TotalDropped);
        }, iter: 400);
    }

    [Fact]
    public void EmptyAndMaximumPayloadsAndAllEscapesRoundTrip()
    {
        var cases = new[]
        {
            Frame.Request(Command.Start, 0, []),
            Frame.Request(Command.WriteMemory, 65535, Enumerable.Range(0, Protocol.MaxPayload).Select(i => (byte)i).ToArray()),
            Frame.Request(Command.WriteMemory, 0x7E7D, Enumerable.Repeat((byte)0x7E, Protocol.MaxPayload).ToArray()),
        };
        foreach (var frame in cases)
        {
            var decoder = new FrameDecoder();
            Assert.Equal(frame, Assert.Single(DecodeAll(decoder, FrameEncoder.Encode(frame))));
        }
        // Every byte of the worst case is escaped except what the CRC happens to be.
        Assert.True(FrameEncoder.EncodedLength(cases[2]) >= 2 + 2 * Protocol.MaxPayload);
        Assert.Throws<ArgumentException>(() => FrameEncoder.Encode(Frame.Request(Command.WriteMemory, 0, new byte[Protocol.MaxPayload + 1])));
    }

    [Fact]
    public void AFrameSplitAtEveryPositionDecodesOnce()
    {
        var frame = Frame.Request(Command.WriteMemory, 513, [0x7E, 1, 0x7D, 2, 0x7E, 0x7E, 3, 0x5E, 0x5D, 0x20]);
        var wire = FrameEncoder.Encode(frame);
        for (int cut = 0; cut <= wire.Length; cut++)
        {
            var decoder = new FrameDecoder();
            var frames = DecodeAll(decoder, wire.AsSpan(0, cut));
            frames.AddRange(DecodeAll(decoder, wire.AsSpan(cut)));
            Assert.Equal(frame, Assert.Single(frames));
            Assert.Equal(0, decoder.TotalDropped);
        }
        // Byte by byte, and in three pieces at every pair of positions.
        for (int a = 0; a <= wire.Length; a += 3)
        for (int b = a; b <= wire.Length; b++)
        {
            var decoder = new FrameDecoder();
            var frames = DecodeAll(decoder, wire.AsSpan(0, a));
            frames.AddRange(DecodeAll(decoder, wire.AsSpan(a, b - a)));
            frames.AddRange(DecodeAll(decoder, wire.AsSpan(b)));
            Assert.Equal(frame, Assert.Single(frames));
        }
    }

    [Fact]
    public void SeveralFramesInOneReadAndSharedOrEmptyFlags()
    {
        var random = new Random(2);
        var frames = Enumerable.Range(0, 20).Select(i =>
        {
            var payload = new byte[random.Next(0, 64)];
            random.NextBytes(payload);
            return Frame.Request((Command)(1 + i % 10), (ushort)(65530 + i), payload);
        }).ToList();
        var stream = new List<byte>();
        foreach (var f in frames)
        {
            stream.AddRange(FrameEncoder.Encode(f));
            stream.Add(Protocol.Flag); // an empty frame between frames is ignored
        }
        var decoder = new FrameDecoder();
        Assert.Equal(frames, DecodeAll(decoder, stream.ToArray()));
        Assert.Equal(0, decoder.TotalDropped);
        Assert.Equal(2 * 20 - 1, decoder.EmptyFrames); // the extra flag, and again the next frame's opening one

        // Back-to-back frames sharing one flag (closing flag = next opening flag) decode too.
        var shared = new List<byte>();
        foreach (var f in frames) shared.AddRange(FrameEncoder.Encode(f).SkipLast(1));
        shared.Add(Protocol.Flag);
        Assert.Equal(frames, DecodeAll(new FrameDecoder(), shared.ToArray()));
    }

    [Fact]
    public void ResynchronisesAfterGarbageAndACutFrame()
    {
        var random = new Random(3);
        var good = Frame.Request(Command.ReadMemory, 7, [1, 2, 3, 4, 5, 6]);
        var goodWire = FrameEncoder.Encode(good);
        for (int trial = 0; trial < 300; trial++)
        {
            var garbage = new byte[random.Next(1, 3000)];
            random.NextBytes(garbage);
            var decoder = new FrameDecoder();
            var frames = DecodeAll(decoder, [.. garbage, .. goodWire, .. garbage, .. goodWire]);
            Assert.Equal([good, good], frames);
        }

        var big = Frame.Request(Command.WriteMemory, 9, Enumerable.Range(0, 600).Select(i => (byte)(i * 7)).ToArray());
        var bigWire = FrameEncoder.Encode(big);
        for (int cut = 1; cut < bigWire.Length - 1; cut += 37)
        {
            var decoder = new FrameDecoder();
            var frames = DecodeAll(decoder, [.. bigWire.AsSpan(0, cut), .. goodWire]);
            Assert.Equal(good, Assert.Single(frames));
            Assert.Equal(cut > 1 ? 1 : 0, decoder.TotalDropped); // a cut after the flag alone leaves an empty frame
        }
    }

    [Fact]
    public void AFrameLongerThanTheMaximumIsDroppedAsOverflow()
    {
        var decoder = new FrameDecoder();
        var tooLong = new byte[Protocol.MaxBodyBytes + 1];
        Array.Fill(tooLong, (byte)0x11);
        var good = Frame.Request(Command.Hello, 1, []);
        var frames = DecodeAll(decoder, [Protocol.Flag, .. tooLong, Protocol.Flag, .. FrameEncoder.Encode(good)]);
        Assert.Equal(good, Assert.Single(frames));
        Assert.Equal(1, decoder.Dropped(DropReason.Overflow));

        // A lost closing flag joins two frames; both are lost, the third survives.
        var a = FrameEncoder.Encode(Frame.Request(Command.WriteMemory, 2, new byte[800]));
        var joined = new List<byte>(a.SkipLast(1));
        joined.AddRange(FrameEncoder.Encode(Frame.Request(Command.WriteMemory, 3, new byte[800])).Skip(1));
        decoder = new FrameDecoder();
        Assert.Equal(good, Assert.Single(DecodeAll(decoder, [.. joined, .. FrameEncoder.Encode(good)])));
        Assert.Equal(1, decoder.Dropped(DropReason.Overflow));
    }

    [Fact]
    public void LengthFieldAndEscapeErrorsAreDroppedWithTheirReason()
    {
        var decoder = new FrameDecoder();
        DecodeAll(decoder, [Protocol.Flag, 1, 2, 3, Protocol.Flag]);
        Assert.Equal(DropReason.Length, decoder.LastDrop);
        DecodeAll(decoder, [Protocol.Flag, 1, 0, 0, 0, 0, 0, Protocol.Escape, Protocol.Flag]);
        Assert.Equal(DropReason.BadEscape, decoder.LastDrop);
        DecodeAll(decoder, [Protocol.Flag, 1, 0, 0, 0, Protocol.Escape, 0x11, 0, 0, 0, 0, Protocol.Flag]);
        Assert.Equal(DropReason.BadEscape, decoder.LastDrop);
        var body = FrameEncoder.Body(Frame.Request(Command.Hello, 1, [9]));
        body[4] = 2; // len says 2, one byte follows
        var wire = new byte[FrameEncoder.StuffedLength(body) + 2];
        wire[0] = wire[^1] = Protocol.Flag;
        FrameEncoder.Stuff(body, wire.AsSpan(1));
        DecodeAll(decoder, wire);
        Assert.Equal(DropReason.Length, decoder.LastDrop);
        Assert.Equal(0, decoder.FramesDecoded);
        Assert.Equal(4, decoder.TotalDropped);
    }

    [Fact]
    public void EverySingleBitFlipIsRejected()
    {
        var random = new Random(4);
        foreach (int size in new[] { 0, 1, 17, 300 })
        {
            var payload = new byte[size];
            random.NextBytes(payload);
            if (size > 2) payload[1] = Protocol.Flag;
            var frame = Frame.Request(Command.WriteMemory, 40000, payload);
            var wire = FrameEncoder.Encode(frame);
            var previous = Frame.Request(Command.Hello, 39999, []);
            var next = Frame.Request(Command.Status, 40001, []);
            for (int bit = 0; bit < wire.Length * 8; bit++)
            {
                var damaged = (byte[])wire.Clone();
                damaged[bit / 8] ^= (byte)(1 << (bit % 8));
                var decoder = new FrameDecoder();
                // The receiver is in sync (a frame went before), so a flipped flag is counted too.
                var frames = DecodeAll(decoder, [.. FrameEncoder.Encode(previous), .. damaged, .. FrameEncoder.Encode(next)]);
                // Never a different frame; the frames around it always survive.
                Assert.Equal([previous, next], frames);
                Assert.DoesNotContain(frame, frames);
                Assert.True(decoder.TotalDropped >= 1, $"bit {bit} of {wire.Length * 8}: no drop counted");
            }
        }
    }
}
