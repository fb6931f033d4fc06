using System.Buffers.Binary;

namespace Accel.Link;

/// <summary>
/// Frame -> wire bytes: 0x7E, the body (cmd, flags, seq, len, payload, CRC-32) with every 0x7E and
/// 0x7D sent as 0x7D, b ^ 0x20, then 0x7E.
/// </summary>
public static class FrameEncoder
{
    /// <summary>The body before stuffing.</summary>
    public static byte[] Body(Frame frame)
    {
        if (frame.Payload.Length > Protocol.MaxPayload)
            throw new ArgumentException(
                $"{frame.Command} payload of {frame.Payload.Length} bytes exceeds the protocol's {Protocol.MaxPayload}", nameof(frame));
        var body = new byte[frame.BodyBytes];
        body[0] = (byte)frame.Command;
        body[1] = (byte)frame.Flags;
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(2), frame.Sequence);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(4), (ushort)frame.Payload.Length);
        frame.Payload.CopyTo(body.AsSpan(Protocol.HeaderBytes));
        int crcAt = Protocol.HeaderBytes + frame.Payload.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(crcAt), Crc32.Compute(body.AsSpan(0, crcAt)));
        return body;
    }

    /// <summary>The frame as sent: flags and the stuffed body.</summary>
    public static byte[] Encode(Frame frame)
    {
        var body = Body(frame);
        var wire = new byte[StuffedLength(body) + 2];
        int n = 0;
        wire[n++] = Protocol.Flag;
        n += Stuff(body, wire.AsSpan(n));
        wire[n++] = Protocol.Flag;
        return wire;
    }

    /// <summary>Stuffs a body into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Stuff(ReadOnlySpan<byte> body, Span<byte> destination)
    {
        int n = 0;
        foreach (byte b in body)
        {
            if (b == Protocol.Flag || b == Protocol.Escape)
            {
                destination[n++] = Protocol.Escape;
                destination[n++] = (byte)(b ^ Protocol.EscapeXor);
            }
            else
            {
                destination[n++] = b;
            }
        }
        return n;
    }

    public static int StuffedLength(ReadOnlySpan<byte> body)
    {
        int n = body.Length;
        foreach (byte b in body)
            if (b == Protocol.Flag || b == Protocol.Escape) n++;
        return n;
    }

    /// <summary>Bytes the frame takes on the wire, flags included.</summary>
    public static int EncodedLength(Frame frame) => StuffedLength(Body(frame)) + 2;
}
