using Accel.Link;
using Accel.Link.Testing;

namespace Accel.Link.Tests;

/// <summary>A FakeBoard served over an in-memory pipe, a LinkClient and Commands on the host end; optional faults per direction.</summary>
internal sealed class BoardHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task boardTask;

    public BoardHarness(FakeBoardOptions? options = null, RetryPolicy? policy = null, ushort firstSequence = 0,
        FaultOptions? hostFaults = null, FaultOptions? boardFaults = null, Func<Stream, Stream>? boardWrap = null, int window = 1)
    {
        var (host, board) = DuplexPipe.Create();
        if (hostFaults is not null) host = HostFaults = new FaultyStream(host, hostFaults);
        if (boardFaults is not null) board = BoardFaults = new FaultyStream(board, boardFaults);
        if (boardWrap is not null) board = boardWrap(board);
        Board = new FakeBoard((options ?? new FakeBoardOptions()) with { Window = window }, board);
        boardTask = Task.Run(() => Board.RunAsync(stop.Token));
        Client = new LinkClient(host, policy ?? Patient, firstSequence);
        Commands = new Commands(Client) { WriteWindow = window };
    }

    /// <summary>
    /// Short timeouts and many attempts for the fault runs: an in-memory board answers in
    /// microseconds, so the test's time is the lost frames' timeouts; a spurious timeout only costs
    /// a resend answered from the board's cache.
    /// </summary>
    public static RetryPolicy Fast { get; } = new(TimeSpan.FromMilliseconds(3), TimeSpan.FromMilliseconds(20), 24);

    /// <summary>
    /// For exact retry counts: an in-memory board answers in microseconds, and these waits are far
    /// above any stall a loaded CI machine causes (a cold JIT, a GC, the other test assemblies), so
    /// a resend under this policy is a fault.
    /// </summary>
    public static RetryPolicy Patient { get; } = new(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), 3);

    /// <summary>For a test that loses a frame on purpose and times its resend: the first wait is 200 ms.</summary>
    public static RetryPolicy Prompt { get; } = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), 5);

    public FakeBoard Board { get; }
    public LinkClient Client { get; }
    public Commands Commands { get; }
    public FaultyStream? HostFaults { get; }
    public FaultyStream? BoardFaults { get; }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        Client.Dispose();
        await boardTask.WaitAsync(TimeSpan.FromSeconds(5));
        stop.Dispose();
    }
}

/// <summary>Passes writes through except the ones whose index (from 0) is listed: those are lost.</summary>
internal sealed class LoseWrites(Stream inner, params int[] lost) : Stream
{
    private int writes;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);
    public override void Write(byte[] buffer, int offset, int count)
    {
        if (!lost.Contains(writes++)) inner.Write(buffer, offset, count);
    }
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!lost.Contains(writes++)) return inner.WriteAsync(buffer, cancellationToken);
        return ValueTask.CompletedTask;
    }
    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
