namespace Accel.Link.Testing;

/// <summary>Per-byte fault rates of a <see cref="FaultyStream"/> (each in [0, 1]).</summary>
public sealed record FaultOptions(double Drop = 0, double Duplicate = 0, double Corrupt = 0, double Delay = 0, int Seed = 1)
{
    /// <summary>How long a delayed byte is held back before it (and what follows it) goes out.</summary>
    public TimeSpan DelayTime { get; init; } = TimeSpan.FromMilliseconds(5);

    public override string ToString() =>
        $"drop {Drop:P2}, duplicate {Duplicate:P2}, corrupt {Corrupt:P2}, delay {Delay:P2} ({DelayTime.TotalMilliseconds} ms), seed {Seed}";
}

/// <summary>
/// Wraps a stream and damages the bytes written through it: each byte, independently with the
/// given probabilities (seeded RNG), is dropped, sent twice, sent with one random bit flipped, or
/// held back for <see cref="FaultOptions.DelayTime"/>. Reads pass through untouched: wrap both ends
/// of a pipe to damage both directions.
/// </summary>
public sealed class FaultyStream(Stream inner, FaultOptions options) : Stream
{
    private readonly Random random = new(options.Seed);
    private readonly object sync = new();

    public FaultOptions Options { get; } = options;

    public long BytesWritten { get; private set; }
    public long Dropped { get; private set; }
    public long Duplicated { get; private set; }
    public long Corrupted { get; private set; }
    public long Delayed { get; private set; }

    public long Faults => Dropped + Duplicated + Corrupted + Delayed;

    public override bool CanRead => inner.CanRead;
    public override bool CanWrite => inner.CanWrite;
    public override bool CanSeek => false;
    public override bool CanTimeout => inner.CanTimeout;
    public override int ReadTimeout { get => inner.ReadTimeout; set => inner.ReadTimeout = value; }
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => inner.Read(buffer);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        foreach (var (bytes, delay) in Damage(buffer))
        {
            if (delay) Thread.Sleep(Options.DelayTime);
            if (bytes.Length > 0) inner.Write(bytes);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        foreach (var (bytes, delay) in Damage(buffer.Span))
        {
            if (delay) await Task.Delay(Options.DelayTime, cancellationToken).ConfigureAwait(false);
            if (bytes.Length > 0) await inner.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The damaged bytes, cut into pieces each preceded (flag) by a delay.</summary>
    private List<(byte[] Bytes, bool DelayFirst)> Damage(ReadOnlySpan<byte> buffer)
    {
        var pieces = new List<(byte[], bool)>();
        var piece = new List<byte>(buffer.Length + 8);
        bool delayFirst = false;
        lock (sync)
        {
            foreach (byte b in buffer)
            {
                BytesWritten++;
                if (Hit(Options.Delay))
                {
                    Delayed++;
                    pieces.Add((piece.ToArray(), delayFirst));
                    piece.Clear();
                    delayFirst = true;
                }
                if (Hit(Options.Drop))
                {
                    Dropped++;
                    continue;
                }
                byte value = b;
                if (Hit(Options.Corrupt))
                {
                    Corrupted++;
                    value ^= (byte)(1 << random.Next(8));
                }
                piece.Add(value);
                if (Hit(Options.Duplicate))
                {
                    Duplicated++;
                    piece.Add(value);
                }
            }
        }
        pieces.Add((piece.ToArray(), delayFirst));
        return pieces;
    }

    private bool Hit(double rate) => rate > 0 && random.NextDouble() < rate;

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
