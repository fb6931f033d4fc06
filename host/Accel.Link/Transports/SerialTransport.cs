using System.IO.Ports;

namespace Accel.Link.Transports;

/// <summary>How long one blocking read or write on a serial port may take before it fails.</summary>
public sealed record SerialTimeouts(TimeSpan Read, TimeSpan Write)
{
    /// <summary>Reads: the link keeps one asynchronous read pending and times requests itself, so this only bounds synchronous reads.</summary>
    public static SerialTimeouts Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
}

/// <summary>
/// Opens a serial port (a USB-UART bridge, or the emulated board's pseudo-terminal) as the link's
/// stream: 8N1, no handshake, explicit timeouts, stale input discarded. SerialPort's own errors on
/// Linux say "access denied" for everything (a missing device, a file that is not a terminal), so
/// <see cref="Open"/> checks the path first and names the OS's reason.
/// </summary>
public static class SerialTransport
{
    public static Stream Open(string path, long baud, SerialTimeouts? timeouts = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (baud < 1 || baud > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(baud), $"baud {baud} out of range");
        timeouts ??= SerialTimeouts.Default;
        if (Directory.Exists(path)) throw new IOException($"{path} is a directory, not a serial port");
        if (!File.Exists(path)) throw new IOException($"no serial port at {path} (serial ports here: {PortList()})");

        var port = new SerialPort(path, (int)baud, Parity.None, 8, StopBits.One)
        {
            Handshake = Handshake.None,
            DtrEnable = false,
            RtsEnable = false,
            ReadTimeout = Milliseconds(timeouts.Read),
            WriteTimeout = Milliseconds(timeouts.Write),
            ReadBufferSize = 1 << 16,
            WriteBufferSize = 1 << 16,
        };
        try
        {
            port.Open();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException or ArgumentException or InvalidOperationException)
        {
            port.Dispose();
            throw new IOException(Describe(path, baud, e), e);
        }
        // Bytes a board sent before we opened (a boot banner, the end of an earlier session) are not answers to us.
        port.DiscardInBuffer();
        return new SerialPortStream(port);
    }

    /// <summary>What <see cref="SerialPort.GetPortNames"/> finds, or "none".</summary>
    public static string PortList()
    {
        string[] names;
        try { names = SerialPort.GetPortNames(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException) { names = []; }
        return names.Length == 0 ? "none" : string.Join(", ", names.Order(StringComparer.Ordinal));
    }

    private static string Describe(string path, long baud, Exception e)
    {
        // On Unix the OS's reason (strerror) is the inner exception; the outer one says "access denied" whatever happened.
        string reason = (e.InnerException ?? e).Message;
        if (reason.Contains("Permission denied", StringComparison.OrdinalIgnoreCase))
            return $"cannot open serial port {path}: permission denied (add yourself to the port's group, usually dialout: " +
                $"sudo usermod -aG dialout $USER, then log in again)";
        if (reason.Contains("busy", StringComparison.OrdinalIgnoreCase))
            return $"cannot open serial port {path}: {reason} (another program has it open: a terminal, another accel run, ModemManager?)";
        if (reason.Contains("Inappropriate ioctl", StringComparison.OrdinalIgnoreCase))
            return $"{path} is not a serial port (the OS says: {reason}); serial ports here: {PortList()}";
        if (reason.Contains("No such file", StringComparison.OrdinalIgnoreCase))
            return $"no serial port at {path} (serial ports here: {PortList()})";
        if (e is ArgumentOutOfRangeException)
            return $"cannot open serial port {path} at {baud} baud: {reason}";
        return $"cannot open serial port {path}: {reason}";
    }

    private static int Milliseconds(TimeSpan t) =>
        t == Timeout.InfiniteTimeSpan ? SerialPort.InfiniteTimeout : (int)Math.Clamp(t.TotalMilliseconds, 1, int.MaxValue);
}

/// <summary>The port's stream; disposing it closes the port.</summary>
public sealed class SerialPortStream(SerialPort port) : Stream
{
    private readonly Stream inner = port.BaseStream;

    public SerialPort Port { get; } = port;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, offset, count, cancellationToken);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(buffer, cancellationToken);
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try { Port.Close(); }
            catch (IOException) { } // the device went away (unplugged); closing must not throw
            Port.Dispose();
        }
        base.Dispose(disposing);
    }
}
