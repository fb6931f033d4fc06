namespace Accel.Link.Transports;

/// <summary>
/// One duplex stream over two one-way streams: reads come from <paramref name="read"/>, writes go
/// to <paramref name="write"/> (the XDMA driver's c2h and h2c device files). Disposing it disposes
/// both.
/// </summary>
public sealed class DuplexStream(Stream read, Stream write) : Stream
{
    private readonly Stream read = read.CanRead ? read : throw new ArgumentException("the read side cannot be read", nameof(read));
    private readonly Stream write = write.CanWrite ? write : throw new ArgumentException("the write side cannot be written", nameof(write));

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => read.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => read.Read(buffer);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        read.ReadAsync(buffer, offset, count, cancellationToken);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        read.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => write.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => write.Write(buffer);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        write.WriteAsync(buffer, offset, count, cancellationToken);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        write.WriteAsync(buffer, cancellationToken);

    public override void Flush() => write.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => write.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try { write.Dispose(); }
            finally { read.Dispose(); }
        }
        base.Dispose(disposing);
    }
}
