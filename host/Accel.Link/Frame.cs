namespace Accel.Link;

/// <summary>
/// One frame's body before stuffing: command, flags, sequence number and payload (the length and
/// the CRC are derived). Equality compares the payload's bytes.
/// </summary>
public sealed record Frame(Command Command, FrameFlags Flags, ushort Sequence, byte[] Payload)
{
    public bool IsResponse => (Flags & FrameFlags.Response) != 0;

    public bool IsError => (Flags & FrameFlags.Error) != 0;

    /// <summary>A response's status (its first payload byte).</summary>
    public ResponseStatus Status => Payload.Length > 0 ? (ResponseStatus)Payload[0] : throw new InvalidDataException(
        $"{Command} response (seq {Sequence}) has no status byte");

    /// <summary>Body bytes before stuffing: header, payload, CRC.</summary>
    public int BodyBytes => Protocol.HeaderBytes + Payload.Length + Protocol.CrcBytes;

    public static Frame Request(Command command, ushort sequence, byte[] payload) =>
        new(command, FrameFlags.None, sequence, payload);

    public static Frame Response(Command command, ushort sequence, ResponseStatus status, ReadOnlySpan<byte> data)
    {
        var payload = new byte[1 + data.Length];
        payload[0] = (byte)status;
        data.CopyTo(payload.AsSpan(1));
        var flags = FrameFlags.Response | (status == ResponseStatus.Ok ? FrameFlags.None : FrameFlags.Error);
        return new Frame(command, flags, sequence, payload);
    }

    public bool Equals(Frame? other) =>
        other is not null && Command == other.Command && Flags == other.Flags && Sequence == other.Sequence
        && Payload.AsSpan().SequenceEqual(other.Payload);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Command);
        hash.Add(Flags);
        hash.Add(Sequence);
        hash.AddBytes(Payload);
        return hash.ToHashCode();
    }

    public override string ToString() =>
        $"{Command} seq {Sequence}{(IsResponse ? " response" : "")}{(IsError ? " error" : "")}, {Payload.Length} payload bytes";
}
