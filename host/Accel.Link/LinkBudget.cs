namespace Accel.Link;

/// <summary>
/// Expected payload efficiency of bulk WRITE_MEM transfers over a UART with window 1
/// (docs/protocol.md, "Link budget"). Per frame the host sends the stuffed request, then waits for
/// the stuffed response and the turnaround before it may send the next:
/// <code>
/// efficiency = data / (request wire bytes + response wire bytes + turnaround * bytes per second)
/// </code>
/// where data = payload - 4 (the address), a stuffed body of random bytes grows by 2/256 (each
/// byte is 0x7E or 0x7D with probability 2/256), and each frame adds its two flags.
/// </summary>
public sealed record LinkBudget(int Baud, int Payload = Protocol.MaxPayload, double TurnaroundSeconds = 0, int BitsPerByte = 10)
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

    /// <summary>Data bytes delivered per byte time of the line.</summary>
    public double Efficiency => DataBytesPerFrame / RoundTripBytes;

    /// <summary>Data bytes per second.</summary>
    public double Throughput => Efficiency * BytesPerSecond;

    /// <summary>Seconds to write <paramref name="bytes"/> of random data in full frames (the last one shorter).</summary>
    public double WriteSeconds(long bytes)
    {
        if (bytes <= 0) return 0;
        long full = bytes / DataBytesPerFrame;
        int rest = (int)(bytes % DataBytesPerFrame);
        double byteTimes = full * RoundTripBytes;
        if (rest > 0)
            byteTimes += (this with { Payload = rest + 4 }).RoundTripBytes;
        return byteTimes / BytesPerSecond;
    }

    /// <summary>The longest turnaround (seconds) that still gives <paramref name="efficiency"/>.</summary>
    public double MaxTurnaroundSeconds(double efficiency) =>
        (DataBytesPerFrame / efficiency - RequestWireBytes - ResponseWireBytes) / BytesPerSecond;
}
