namespace Accel.Board;

/// <summary>Where the time of a board session goes.</summary>
public enum BoardStage
{
    Connect,
    /// <summary>Loading the model: weights, program, parameters, registers, host tag.</summary>
    Weights,
    Input,
    /// <summary>START to the engine reporting done (STATUS polls included).</summary>
    Compute,
    Readback,
}

/// <summary>
/// One stage: the payload bytes it moved (memory data, parameter words; not the framing), the
/// bytes on the wire each way (frames, stuffing, responses, polls), and the wall time.
/// </summary>
public sealed record StageStatistics(BoardStage Stage, long PayloadBytes, long BytesSent, long BytesReceived, TimeSpan Elapsed, int Count)
{
    /// <summary>Payload bytes per second.</summary>
    public double Throughput => Elapsed <= TimeSpan.Zero ? 0 : PayloadBytes / Elapsed.TotalSeconds;

    /// <summary>
    /// Payload throughput as a fraction of what a UART at <paramref name="baud"/> carries (8N1: baud / 10
    /// bytes/s one way).
    /// </summary>
    public double LineEfficiency(long baud) => baud <= 0 ? 0 : Throughput / (baud / 10.0);

    public StageStatistics Add(long payload, long sent, long received, TimeSpan elapsed) =>
        this with { PayloadBytes = PayloadBytes + payload, BytesSent = BytesSent + sent, BytesReceived = BytesReceived + received,
            Elapsed = Elapsed + elapsed, Count = Count + 1 };
}

/// <summary>Per-stage totals of a board session (every stage, zero when it has not happened).</summary>
public sealed class LinkStatistics
{
    private readonly Dictionary<BoardStage, StageStatistics> stages =
        Enum.GetValues<BoardStage>().ToDictionary(s => s, s => new StageStatistics(s, 0, 0, 0, TimeSpan.Zero, 0));

    public StageStatistics this[BoardStage stage] => stages[stage];

    public IReadOnlyList<StageStatistics> Stages => Enum.GetValues<BoardStage>().Select(s => stages[s]).ToList();

    internal void Add(BoardStage stage, long payload, long sent, long received, TimeSpan elapsed) =>
        stages[stage] = stages[stage].Add(payload, sent, received, elapsed);
}

/// <summary>Progress of a transfer stage: bytes done of the total.</summary>
public readonly record struct TransferProgress(BoardStage Stage, long Done, long Total);
