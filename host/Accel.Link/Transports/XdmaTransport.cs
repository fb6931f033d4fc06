using System.Buffers.Binary;

namespace Accel.Link.Transports;

/// <summary>
/// Opens a board behind the Xilinx XDMA driver: PREFIX_h2c_0 carries the framed byte stream to the
/// board, PREFIX_c2h_0 the board's answers (one frame per read, the board sets tlast on a frame's
/// closing flag), and PREFIX_user is the AXI-Lite register window whose ID register (offset 0)
/// must read <see cref="Id"/> ("ACCL"). The emulator offers the same three files (FIFOs and a
/// mirrored register file).
/// </summary>
public static class XdmaTransport
{
    /// <summary>The ID register's value: the bytes "ACCL".</summary>
    public const uint Id = 0x4C434341;

    /// <summary>How long opening the stream files may block (a FIFO's open waits for the other end).</summary>
    public static TimeSpan OpenTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public static Stream Open(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        string h2c = prefix + "_h2c_0", c2h = prefix + "_c2h_0", user = prefix + "_user";
        var missing = new[] { h2c, c2h, user }.Where(p => !File.Exists(p)).ToList();
        if (missing.Count > 0)
            throw new IOException($"no XDMA board at {prefix}: {string.Join(", ", missing)} not found " +
                "(is the xdma driver loaded and the bitstream programmed? its files are PREFIX_h2c_0, PREFIX_c2h_0 and PREFIX_user)");

        uint id = ReadId(user);
        if (id != Id)
            throw new IOException($"the XDMA device at {prefix} is not an accel board: its ID register ({user} offset 0) reads 0x{id:X8}, " +
                $"expected 0x{Id:X8} (\"ACCL\"); is the accel bitstream loaded?");

        // h2c first: the far end of a FIFO opens its read side first, and each open blocks until both ends are there.
        var write = OpenWithin(h2c, FileAccess.Write);
        try
        {
            var read = OpenWithin(c2h, FileAccess.Read);
            return new DuplexStream(read, write);
        }
        catch
        {
            write.Dispose();
            throw;
        }
    }

    /// <summary>The u32 at offset 0 of the register window.</summary>
    public static uint ReadId(string userPath)
    {
        var bytes = new byte[4];
        try
        {
            using var f = new FileStream(userPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            int n = f.ReadAtLeast(bytes, 4, throwOnEndOfStream: false);
            if (n < 4) throw new IOException($"{userPath}: the register window returned {n} bytes at offset 0, expected 4");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"cannot open {userPath}: permission denied (run as a user allowed to use the xdma device files)", e);
        }
        return BinaryPrimitives.ReadUInt32LittleEndian(bytes);
    }

    private static FileStream OpenWithin(string path, FileAccess access)
    {
        var open = Task.Run(() => new FileStream(path, FileMode.Open, access, FileShare.ReadWrite, bufferSize: 0));
        try
        {
            if (!open.Wait(OpenTimeout))
            {
                // The open is stuck in the kernel; when it completes, close what it opened.
                _ = open.ContinueWith(t => t.Result.Dispose(), TaskContinuationOptions.OnlyOnRanToCompletion);
                throw new IOException($"opening {path} did not complete within {OpenTimeout.TotalSeconds:0.#} s (nothing at the other end?)");
            }
            return open.Result;
        }
        catch (AggregateException e) when (e.InnerException is UnauthorizedAccessException)
        {
            throw new IOException($"cannot open {path}: permission denied", e.InnerException);
        }
        catch (AggregateException e) when (e.InnerException is IOException io)
        {
            throw new IOException($"cannot open {path}: {io.Message}", io);
        }
    }
}
