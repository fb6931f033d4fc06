namespace Accel.Cosim.Verilator;

/// <summary>A co-simulation step failed: the RTL did not build, or the testbench rejected its input or crashed.</summary>
public class CosimException : Exception
{
    public CosimException(string message) : base(message) { }

    public CosimException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A run hit its cycle limit before done_o. Carries what the testbench wrote up to that point.</summary>
public sealed class CosimTimeoutException : CosimException
{
    public CosimTimeoutException(string message, HarnessReport? report, HarnessOutput? output)
        : base(message)
    {
        Report = report;
        Output = output;
    }

    /// <summary>The report as written by the testbench; its last run has <c>TimedOut</c> set. Null if it could not be read.</summary>
    public HarnessReport? Report { get; }

    /// <summary>The reads completed before the timeout. Null if the output could not be read.</summary>
    public HarnessOutput? Output { get; }
}
