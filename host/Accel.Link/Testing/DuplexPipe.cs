using System.Threading.Channels;

namespace Accel.Link.Testing;

/// <summary>
/// An in-memory duplex byte link: two connected <see cref="Stream"/> ends, what one writes the
/// other reads. Reads block until data arrives (synchronous reads honour <see cref="Stream.ReadTimeout"/>
/// and throw <see cref="TimeoutException"/>, as a serial port's do); disposing an end ends the
/// peer's reads (0 bytes) and its own.
/// </summary>
public static class DuplexPipe
{
    public static (Stream Host, Stream Board) Create()
    {
        var toBoard = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        var toHost = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        return (new End(toHost, toBoard), new End(toBoard, toHost));
    }

    private sealed class End(Channel<byte[]> rx, Channel<byte[]> tx) : Stream
    {
        private byte[] current = [];
        private int offset;
        private bool disposed;

        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override bool CanTimeout => true;
        public override int ReadTimeout { get; set; } = Timeout.Infinite;
        public override int WriteTimeout { get; set; } = Timeout.Infinite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Flush() { }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (TakeBuffered(buffer) is int n and > 0) return n;
            using var cts = ReadTimeout == Timeout.Infinite ? new CancellationTokenSource() : new CancellationTokenSource(ReadTimeout);
            var copy = new byte[buffer.Length];
            try
            {
                n = ReadAsync(copy, cts.Token).AsTask().GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no data within the read timeout of {ReadTimeout} ms");
            }
            copy.AsSpan(0, n).CopyTo(buffer);
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.Length == 0) return 0;
            while (true)
            {
                int n = TakeBuffered(buffer.Span);
                if (n > 0) return n;
                if (disposed) return 0;
                if (!await rx.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false)) return 0;
                if (rx.Reader.TryRead(out var chunk))
                {
                    current = chunk;
                    offset = 0;
                }
            }
        }

        private int TakeBuffered(Span<byte> buffer)
        {
            int n = Math.Min(buffer.Length, current.Length - offset);
            if (n <= 0) return 0;
            current.AsSpan(offset, n).CopyTo(buffer);
            offset += n;
            return n;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (buffer.Length == 0) return;
            if (!tx.Writer.TryWrite(buffer.ToArray())) throw new IOException("the other end of the pipe is closed");
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !disposed)
            {
                disposed = true;
                tx.Writer.TryComplete();
                rx.Writer.TryComplete();
            }
            base.Dispose(disposing);
        }
    }
}
