using System.Buffers.Binary;

namespace Accel.Link;

/// <summary>Why the decoder dropped a body.</summary>
public enum DropReason
{
    /// <summary>The CRC-32 did not match (corrupted bytes).</summary>
    Crc = 0,

    /// <summary>Body shorter than header and CRC, or its size is not 6 + len + 4, or len > MaxPayload.</summary>
    Length = 1,

    /// <summary>More than MaxBodyBytes before the closing flag (a lost flag joined two frames, or garbage).</summary>
    Overflow = 2,

    /// <summary>An escape followed by a flag or by a byte that is not 0x5E/0x5D (the frame was cut or corrupted).</summary>
    BadEscape = 3,
}

/// <summary>
/// Incremental byte-fed receiver: the same state machine as the board's frame parser. One body
/// buffer of MaxBodyBytes, no allocation until a frame is complete. Every 0x7E ends the body being
/// collected (checked, then delivered or dropped) and starts a new one; an empty body (two flags in
/// a row) is ignored; bytes before the first flag are garbage.
/// </summary>
public sealed class FrameDecoder
{
    private enum State { Hunt, Body, Escaped, Discard }

    private readonly byte[] body = new byte[Protocol.MaxBodyBytes];
    private readonly long[] dropped = new long[4];
    private State state = State.Hunt;
    private DropReason discardReason;
    private int length;

    public long FramesDecoded { get; private set; }

    /// <summary>Bytes seen before the first flag (or after <see cref="Reset"/>).</summary>
    public long GarbageBytes { get; private set; }

    public long EmptyFrames { get; private set; }

    public long Dropped(DropReason reason) => dropped[(int)reason];

    public long TotalDropped => dropped.Sum();

    /// <summary>The reason of the latest drop, if any.</summary>
    public DropReason? LastDrop { get; private set; }

    /// <summary>Forgets a partial body and hunts for the next flag (counters kept).</summary>
    public void Reset()
    {
        state = State.Hunt;
        length = 0;
    }

    public void ClearCounters()
    {
        Array.Clear(dropped);
        FramesDecoded = GarbageBytes = EmptyFrames = 0;
        LastDrop = null;
    }

    /// <summary>Feeds one byte; returns the frame it completes, if any.</summary>
    public Frame? Push(byte value)
    {
        if (value == Protocol.Flag)
        {
            var previous = state;
            int collected = length;
            state = State.Body;
            length = 0;
            switch (previous)
            {
                case State.Hunt:
                    return null;
                case State.Discard:
                    Drop(discardReason);
                    return null;
                case State.Escaped:
                    Drop(DropReason.BadEscape);
                    return null;
                default:
                    if (collected == 0)
                    {
                        EmptyFrames++;
                        return null;
                    }
                    return Complete(collected);
            }
        }

        switch (state)
        {
            case State.Hunt:
                GarbageBytes++;
                break;
            case State.Discard:
                break;
            case State.Escaped:
                if (value != (Protocol.Flag ^ Protocol.EscapeXor) && value != (Protocol.Escape ^ Protocol.EscapeXor))
                {
                    Discard(DropReason.BadEscape);
                    break;
                }
                state = State.Body;
                Append((byte)(value ^ Protocol.EscapeXor));
                break;
            default:
                if (value == Protocol.Escape) state = State.Escaped;
                else Append(value);
                break;
        }
        return null;
    }

    /// <summary>Feeds bytes; adds every completed frame to <paramref name="frames"/> and returns how many.</summary>
    public int Push(ReadOnlySpan<byte> data, List<Frame> frames)
    {
        int count = 0;
        foreach (byte b in data)
        {
            if (Push(b) is { } frame)
            {
                frames.Add(frame);
                count++;
            }
        }
        return count;
    }

    private void Append(byte value)
    {
        if (length == body.Length)
        {
            Discard(DropReason.Overflow);
            return;
        }
        body[length++] = value;
    }

    private void Discard(DropReason reason)
    {
        state = State.Discard;
        discardReason = reason;
        length = 0;
    }

    private void Drop(DropReason reason)
    {
        dropped[(int)reason]++;
        LastDrop = reason;
    }

    private Frame? Complete(int size)
    {
        if (size < Protocol.MinBodyBytes)
        {
            Drop(DropReason.Length);
            return null;
        }
        int payloadLength = BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(4));
        if (payloadLength > Protocol.MaxPayload || size != Protocol.MinBodyBytes + payloadLength)
        {
            Drop(DropReason.Length);
            return null;
        }
        int crcAt = Protocol.HeaderBytes + payloadLength;
        if (BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(crcAt)) != Crc32.Compute(body.AsSpan(0, crcAt)))
        {
            Drop(DropReason.Crc);
            return null;
        }
        FramesDecoded++;
        return new Frame((Command)body[0], (FrameFlags)body[1], BinaryPrimitives.ReadUInt16LittleEndian(body.AsSpan(2)),
            body.AsSpan(Protocol.HeaderBytes, payloadLength).ToArray());
    }
}
