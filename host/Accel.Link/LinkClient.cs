using System.Diagnostics;

namespace Accel.Link;

/// <summary>
/// The host end of the board link over any duplex <see cref="Stream"/> (a serial port, an XDMA
/// device pair, an in-memory pipe). <see cref="TransactAsync"/> has one request outstanding: each request is sent, then
/// its response awaited for the policy's timeout; on a timeout the same frame (same seq) is sent
/// again with the next, longer timeout; after the last attempt a <see cref="TimeoutException"/>
/// names the command, the seq and the attempts. Responses with another seq or command, and
/// requests echoed back, are ignored (stale). <see cref="TransactWindowAsync"/> keeps several
/// idempotent requests in flight, up to the board's window (its frame slots). A closed or failing stream gives an
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

    /// <summary>Most requests that were outstanding at once (see <see cref="TransactWindowAsync"/>).</summary>
    public int PeakInFlight { get; private set; }

    /// <summary>Bytes written to and read from the stream.</summary>
    public long BytesSent { get; private set; }

    public long BytesReceived { get; private set; }

    /// <summary>Sends a request and returns its response (whatever its status).</summary>
    public async Task<Frame> TransactAsync(Command command, byte[] payload, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (payload.Length > Protocol.MaxPayload)
            throw new ArgumentException($"{command} payload of {payload.Length} bytes exceeds the protocol's {Protocol.MaxPayload}", nameof(payload));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ushort seq = NextSequence;
            NextSequence = unchecked((ushort)(seq + 1));
            PeakInFlight = Math.Max(PeakInFlight, 1);
            var wire = FrameEncoder.Encode(Frame.Request(command, seq, payload));
            Requests++;
            var started = Stopwatch.StartNew();
            int attempts = Policy.MaxAttempts;
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

    /// <summary>
    /// Sends a run of requests of one <paramref name="command"/> with up to
    /// <paramref name="window"/> of them outstanding (for idempotent requests only: the board
    /// executes in arrival order and remembers only its last request, so a resend that arrives after
    /// a later request is executed again). <paramref name="next"/> gives the next request (null when
    /// there is none for now); <paramref name="answered"/> gets each request with its response;
    /// a late second response to an answered request is stale. Only the oldest outstanding request
    /// is timed, from when it was sent or became the oldest, whichever is later, with the policy's
    /// wait for its attempt; when that runs out it alone is sent again (the others are still on
    /// their way). A request that has used its attempts goes to <paramref name="exhausted"/>: true
    /// means the caller took it back (re-queued its work), false fails the run with a
    /// <see cref="TimeoutException"/>. Returns when <paramref name="next"/> has nothing more and
    /// nothing is outstanding.
    /// </summary>
    public async Task TransactWindowAsync(Command command, int window, Func<WindowedRequest?> next,
        Action<WindowedRequest, Frame> answered, Func<WindowedRequest, bool> exhausted, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var outstanding = new List<WindowedRequest>(window);
            var oldestSince = Stopwatch.StartNew();
            WindowedRequest? timed = null;
            while (true)
            {
                while (outstanding.Count < window && next() is { } request)
                {
                    if (request.Payload.Length > Protocol.MaxPayload)
                        throw new ArgumentException($"{command} payload of {request.Payload.Length} bytes exceeds the protocol's {Protocol.MaxPayload}");
                    request.Sequence = NextSequence;
                    NextSequence = unchecked((ushort)(NextSequence + 1));
                    request.Wire = FrameEncoder.Encode(Frame.Request(command, request.Sequence, request.Payload));
                    request.MaxAttempts = Math.Clamp(request.MaxAttempts, 1, Policy.MaxAttempts);
                    Requests++;
                    await SendAttemptAsync(command, request, cancellationToken).ConfigureAwait(false);
                    outstanding.Add(request);
                    PeakInFlight = Math.Max(PeakInFlight, outstanding.Count);
                }
                if (outstanding.Count == 0) return;

                var oldest = outstanding[0];
                if (!ReferenceEquals(oldest, timed))
                {
                    timed = oldest;
                    oldestSince.Restart();
                }
                bool progressed = false;
                while (received.TryDequeue(out var frame))
                {
                    int at = frame.IsResponse && frame.Command == command ? outstanding.FindIndex(r => r.Sequence == frame.Sequence) : -1;
                    if (at < 0)
                    {
                        StaleFrames++;
                        Trace?.Invoke($"stale {frame} while {outstanding.Count} {command} requests are outstanding");
                        continue;
                    }
                    var done = outstanding[at];
                    outstanding.RemoveAt(at);
                    LastAttempts = done.Attempts;
                    answered(done, frame);
                    progressed = true;
                }
                if (progressed) continue;

                var left = Policy.TimeoutFor(oldest.Attempts) - oldestSince.Elapsed;
                if (left > TimeSpan.Zero)
                {
                    await ReadFramesAsync(left, () => $"the responses to {outstanding.Count} {command} requests", cancellationToken).ConfigureAwait(false);
                    continue;
                }

                // The oldest request's wait ran out.
                if (oldest.Attempts < oldest.MaxAttempts)
                {
                    Trace?.Invoke($"resend {command} seq {oldest.Sequence}, attempt {oldest.Attempts + 1}, wait {Policy.TimeoutFor(oldest.Attempts + 1).TotalMilliseconds:0.#} ms");
                    await SendAttemptAsync(command, oldest, cancellationToken).ConfigureAwait(false);
                    oldestSince.Restart();
                    continue;
                }
                outstanding.RemoveAt(0);
                if (exhausted(oldest)) continue;
                Failures++;
                throw new TimeoutException(
                    $"board link: no response to {command} (seq {oldest.Sequence}) after {oldest.Attempts} attempts " +
                    $"(timeouts {Policy.InitialTimeout.TotalMilliseconds:0.#} ms doubling to {Policy.MaxTimeout.TotalMilliseconds:0.#} ms, " +
                    $"{window} requests in flight at most); {decoder.TotalDropped} frames dropped by the host's receiver");
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task SendAttemptAsync(Command command, WindowedRequest request, CancellationToken cancellationToken)
    {
        Attempts++;
        request.Attempts++;
        await SendAsync(command, request.Sequence, request.Wire, cancellationToken).ConfigureAwait(false);
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
                    // Anything after the response is stale by definition (one request outstanding).
                    StaleFrames += received.Count;
                    received.Clear();
                    return frame;
                }
                StaleFrames++;
                Trace?.Invoke($"stale {frame} while waiting for {command} seq {seq}");
            }
            var left = timeout - deadline.Elapsed;
            if (left <= TimeSpan.Zero) return null;
            if (!await ReadFramesAsync(left, () => $"the response to {command} (seq {seq})", cancellationToken).ConfigureAwait(false))
                return null;
        }
    }

    /// <summary>
    /// Reads once from the stream (waiting at most <paramref name="timeout"/>) and queues the frames
    /// decoded; false on timeout.
    /// </summary>
    private async Task<bool> ReadFramesAsync(TimeSpan timeout, Func<string> waitingFor, CancellationToken cancellationToken)
    {
        // One read stays in flight across timeouts: a read is never abandoned, so no stream has
        // to support cancelling one (a serial port's does not reliably).
        pendingRead ??= StartRead();
        if (!pendingRead.IsCompleted)
        {
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Task.Delay(timeout, timer.Token);
            var winner = await Task.WhenAny(pendingRead, delay).ConfigureAwait(false);
            timer.Cancel();
            cancellationToken.ThrowIfCancellationRequested();
            if (winner != pendingRead) return false;
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
            throw new IOException($"board link: reading {waitingFor()} failed: {e.Message}", e);
        }
        if (n == 0)
            throw new IOException($"board link: the transport closed while waiting for {waitingFor()}");
        BytesReceived += n;
        batch.Clear();
        decoder.Push(readBuffer.AsSpan(0, n), batch);
        foreach (var f in batch) received.Enqueue(f);
        return true;
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

/// <summary>One request of <see cref="LinkClient.TransactWindowAsync"/>: its payload, the attempts it may take and the caller's state.</summary>
public sealed class WindowedRequest(byte[] payload, int maxAttempts, object? state = null)
{
    public byte[] Payload { get; } = payload;

    /// <summary>Attempts before it goes to the exhausted callback (capped at the policy's).</summary>
    public int MaxAttempts { get; internal set; } = maxAttempts;

    public object? State { get; } = state;

    /// <summary>Its seq, given when it is first sent.</summary>
    public ushort Sequence { get; internal set; }

    /// <summary>Sends so far (1 = answered at the first send).</summary>
    public int Attempts { get; internal set; }

    internal byte[] Wire { get; set; } = [];
}
