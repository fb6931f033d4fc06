using System.Diagnostics;

namespace Accel.Link;

/// <summary>
/// The host end of the board link over any duplex <see cref="Stream"/> (a serial port, an XDMA
/// device pair, an in-memory pipe). Window 1: one request outstanding; each request is sent, then
/// its response awaited for the policy's timeout; on a timeout the same frame (same seq) is sent
/// again with the next, longer timeout; after the last attempt a <see cref="TimeoutException"/>
/// names the command, the seq and the attempts. Responses with another seq or command, and
/// requests echoed back, are ignored (stale). A closed or failing stream gives an
/// <see cref="IOException"/>.
/// </summary>
public sealed class LinkClient : IDisposable, IAsyncDisposable
{
    private readonly Stream stream;
    private readonly bool ownsStream;
    private readonly FrameDecoder decoder = new();
    private readonly byte[] readBuffer = new byte[4096];
    private readonly Queue<Frame> received = new();
    private readonly List<Frame> batch = [];
    private readonly SemaphoreSlim gate = new(1, 1);
    private Task<int>? pendingRead;
    private bool disposed;

    public LinkClient(Stream stream, RetryPolicy? policy = null, ushort firstSequence = 0, bool ownsStream = true)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead || !stream.CanWrite) throw new ArgumentException("the link needs a readable and writable stream", nameof(stream));
        Policy = policy ?? RetryPolicy.Default;
        Policy.Validate();
        this.stream = stream;
        this.ownsStream = ownsStream;
        NextSequence = firstSequence;
    }

    public RetryPolicy Policy { get; set; }

    /// <summary>Called with a line for every resend and every stale frame (for a verbose mode).</summary>
    public Action<string>? Trace { get; set; }

    /// <summary>The seq the next request gets (wraps from 65535 to 0).</summary>
    public ushort NextSequence { get; private set; }

    /// <summary>The host's receiver (drops by reason, frames decoded).</summary>
    public FrameDecoder Decoder => decoder;

    public long Requests { get; private set; }

    /// <summary>Frames sent, first sends and resends.</summary>
    public long Attempts { get; private set; }

    /// <summary>Resends after a timeout.</summary>
    public long Retries => Attempts - Requests;

    /// <summary>Requests that failed after every attempt.</summary>
    public long Failures { get; private set; }

    /// <summary>Valid frames that answered nothing outstanding (an old seq, another command, not a response).</summary>
    public long StaleFrames { get; private set; }

    /// <summary>Attempts the latest request took.</summary>
    public int LastAttempts { get; private set; }

    /// <summary>Bytes written to and read from the stream.</summary>
    public long BytesSent { get; private set; }

    public long BytesReceived { get; private set; }

    /// <summary>
    /// Sends a request and returns its response (whatever its status). <paramref name="maxAttempts"/>
    /// lowers the policy's attempts for this request (a caller that can re-split its request).
    /// </summary>
    public async Task<Frame> TransactAsync(Command command, byte[] payload, CancellationToken cancellationToken = default, int? maxAttempts = null)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (payload.Length > Protocol.MaxPayload)
            throw new ArgumentException($"{command} payload of {payload.Length} bytes exceeds the protocol's {Protocol.MaxPayload}", nameof(payload));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ushort seq = NextSequence;
            NextSequence = unchecked((ushort)(seq + 1));
            var wire = FrameEncoder.Encode(Frame.Request(command, seq, payload));
            Requests++;
            var started = Stopwatch.StartNew();
            int attempts = Math.Clamp(maxAttempts ?? Policy.MaxAttempts, 1, Policy.MaxAttempts);
            for (int attempt = 1; attempt <= attempts; attempt++)
            {
                Attempts++;
                LastAttempts = attempt;
                if (attempt > 1)
                    Trace?.Invoke($"resend {command} seq {seq}, attempt {attempt}, wait {Policy.TimeoutFor(attempt).TotalMilliseconds:0.#} ms");
                await SendAsync(command, seq, wire, cancellationToken).ConfigureAwait(false);
                var response = await ReceiveAsync(command, seq, Policy.TimeoutFor(attempt), cancellationToken).ConfigureAwait(false);
                if (response is not null) return response;
            }
            Failures++;
            throw new TimeoutException(
                $"board link: no response to {command} (seq {seq}) after {attempts} attempts " +
                $"in {started.Elapsed.TotalSeconds:0.###} s (timeouts {Policy.InitialTimeout.TotalMilliseconds:0.#} ms doubling to " +
                $"{Policy.MaxTimeout.TotalMilliseconds:0.#} ms); {decoder.TotalDropped} frames dropped by the host's receiver");
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task SendAsync(Command command, ushort seq, byte[] wire, CancellationToken cancellationToken)
    {
        try
        {
            await stream.WriteAsync(wire, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            BytesSent += wire.Length;
        }
        catch (Exception e) when (e is not OperationCanceledException and not IOException and not ObjectDisposedException)
        {
            throw new IOException($"board link: sending {command} (seq {seq}) failed: {e.Message}", e);
        }
        catch (ObjectDisposedException e)
        {
            throw new IOException($"board link: sending {command} (seq {seq}) failed: the transport is closed", e);
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the response to (command, seq); null on timeout.</summary>
    private async Task<Frame?> ReceiveAsync(Command command, ushort seq, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            while (received.TryDequeue(out var frame))
            {
                if (frame.IsResponse && frame.Command == command && frame.Sequence == seq)
                {
                    // Anything after the response is stale by definition (window 1).
                    StaleFrames += received.Count;
                    received.Clear();
                    return frame;
                }
                StaleFrames++;
                Trace?.Invoke($"stale {frame} while waiting for {command} seq {seq}");
            }
            var left = timeout - deadline.Elapsed;
            if (left <= TimeSpan.Zero) return null;

            // One read stays in flight across timeouts: a read is never abandoned, so no stream has
            // to support cancelling one (a serial port's does not reliably).
            pendingRead ??= StartRead();
            using (var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                var delay = Task.Delay(left, timer.Token);
                var winner = await Task.WhenAny(pendingRead, delay).ConfigureAwait(false);
                timer.Cancel();
                cancellationToken.ThrowIfCancellationRequested();
                if (winner != pendingRead) return null;
            }
            var read = pendingRead;
            pendingRead = null;
            int n;
            try
            {
                n = await read.ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new IOException($"board link: reading the response to {command} (seq {seq}) failed: {e.Message}", e);
            }
            if (n == 0)
                throw new IOException($"board link: the transport closed while waiting for the response to {command} (seq {seq})");
            BytesReceived += n;
            batch.Clear();
            decoder.Push(readBuffer.AsSpan(0, n), batch);
            foreach (var f in batch) received.Enqueue(f);
        }
    }

    private Task<int> StartRead()
    {
        try
        {
            return stream.ReadAsync(readBuffer, 0, readBuffer.Length);
        }
        catch (Exception e)
        {
            return Task.FromException<int>(e);
        }
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (ownsStream) stream.Dispose();
        gate.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
