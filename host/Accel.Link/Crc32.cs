namespace Accel.Link;

/// <summary>
/// CRC-32 of IEEE 802.3 (zlib, Ethernet): reflected polynomial 0xEDB88320, initial value and final
/// XOR 0xFFFFFFFF; CRC-32("123456789") = 0xCBF43926. The frame carries it little-endian. The
/// board computes it byte by byte as the body arrives (one engine, 8 bits per clock).
/// </summary>
public static class Crc32
{
    public static uint Compute(ReadOnlySpan<byte> data) => System.IO.Hashing.Crc32.HashToUInt32(data);

    /// <summary>One byte of the bitwise (hardware) form on the raw register (no initial value or final XOR).</summary>
    public static uint Step(uint register, byte value)
    {
        register ^= value;
        for (int bit = 0; bit < 8; bit++)
            register = (register & 1) != 0 ? (register >> 1) ^ 0xEDB88320u : register >> 1;
        return register;
    }

    /// <summary>The bitwise form over a whole buffer: what the board's CRC engine does, for tests.</summary>
    public static uint ComputeBitwise(ReadOnlySpan<byte> data)
    {
        uint register = 0xFFFFFFFFu;
        foreach (byte b in data) register = Step(register, b);
        return ~register;
    }
}
