namespace Accel.Images;

/// <summary>
/// A structural check of a JPEG's header segments (SOI up to the start of scan), run before the
/// decoder sees the bytes: StbImageSharp loops forever on a JPEG that ends inside its header.
/// </summary>
public static class JpegHeader
{
    public static bool IsJpeg(ReadOnlySpan<byte> bytes) => bytes.Length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xD8;

    /// <summary>Null when every header segment up to the scan fits in the file, else what is wrong.</summary>
    public static string? Problem(ReadOnlySpan<byte> bytes)
    {
        int pos = 2;
        while (pos + 1 < bytes.Length)
        {
            if (bytes[pos] != 0xFF) return $"byte {pos}: expected a JPEG marker";
            byte marker = bytes[pos + 1];
            if (marker == 0xFF) { pos++; continue; }          // fill byte before a marker
            if (marker is 0x01 or (>= 0xD0 and <= 0xD8)) { pos += 2; continue; } // markers without a length
            if (marker == 0xD9) return $"byte {pos}: the image ends before any scan data";
            if (pos + 4 > bytes.Length) break;
            int length = bytes[pos + 2] << 8 | bytes[pos + 3];
            if (length < 2) return $"byte {pos + 2}: segment length {length} is invalid";
            if (pos + 2 + length > bytes.Length) break;
            if (marker == 0xDA) return null;                   // start of scan: the header is complete
            pos += 2 + length;
        }
        return $"truncated JPEG: the file ends at byte {bytes.Length}, inside its header";
    }
}
