namespace Accel.Link;

/// <summary>
/// Expected payload efficiency of bulk WRITE_MEM transfers over a UART (docs/protocol.md, "Link
/// budget"). A round trip is the stuffed request, the stuffed response and the turnaround; with
/// <see cref="Window"/> requests in flight, W round trips overlap, but the line to the board carries
/// one request at a time:
/// <code>
/// efficiency = data / max(request wire bytes, (request + response wire bytes + turnaround * bytes per second) / W)
/// </code>
/// where data = payload - 4 (the address), a stuffed body of random bytes grows by 2/256 (each
/// byte is 0x7E or 0x7D with probability 2/256), and each frame adds its two flags.
/// </summary>
public sealed record LinkBudget(int Baud, int Payload = Protocol.MaxPayload, double TurnaroundSeconds = 0, int BitsPerByte = 10, int Window = 1)
{
    /// <summary>Expected escapes per body byte on uniformly random data.</summary>
    public const double EscapeProbability = 2.0 / 256;

    /// <summary>WRITE_MEM response body: header, the status byte, CRC.</summary>
    public const int WriteResponseBodyBytes = Protocol.HeaderBytes + 1 + Protocol.CrcBytes;

    public double BytesPerSecond => (double)Baud / BitsPerByte;

    /// <summary>Data bytes a WRITE_MEM frame of <see cref="Payload"/> bytes carries.</summary>
    public int DataBytesPerFrame => Payload - 4;

    /// <summary>Expected wire bytes of a body of <paramref name="bodyBytes"/> random bytes, flags included.</summary>
    public static double ExpectedWireBytes(int bodyBytes) => 2 + bodyBytes * (1 + EscapeProbability);

    public double RequestWireBytes => ExpectedWireBytes(Protocol.HeaderBytes + Payload + Protocol.CrcBytes);

    public double ResponseWireBytes => ExpectedWireBytes(WriteResponseBodyBytes);

    public double TurnaroundBytes => TurnaroundSeconds * BytesPerSecond;

    /// <summary>Byte times one WRITE_MEM round trip takes.</summary>
    public double RoundTripBytes => RequestWireBytes + ResponseWireBytes + TurnaroundBytes;

    /// <summary>Byte times per frame in a long transfer: the request's, or the round trip shared by the window.</summary>
    public double FrameByteTimes => Math.Max(RequestWireBytes, RoundTripBytes / Window);

    /// <summary>Data bytes delivered per byte time of the line.</summary>
    public double Efficiency => DataBytesPerFrame / FrameByteTimes;

    /// <summary>Data bytes per second.</summary>
    public double Throughput => Efficiency * BytesPerSecond;

    /// <summary>Seconds to write <paramref name="bytes"/> of random data in full frames (the last one shorter).</summary>
    public double WriteSeconds(long bytes)
    {
        if (bytes <= 0) return 0;
        long full = bytes / DataBytesPerFrame;
        int rest = (int)(bytes % DataBytesPerFrame);
        double byteTimes = full * FrameByteTimes;
        if (rest > 0)
            byteTimes += (this with { Payload = rest + 4 }).FrameByteTimes;
        return byteTimes / BytesPerSecond;
    }

    /// <summary>The longest turnaround (seconds) that still gives <paramref name="efficiency"/> (negative: none does).</summary>
    public double MaxTurnaroundSeconds(double efficiency)
    {
        double perFrame = DataBytesPerFrame / efficiency;
        if (perFrame < RequestWireBytes) return -1;
        return (Window * perFrame - RequestWireBytes - ResponseWireBytes) / BytesPerSecond;
    }
}
