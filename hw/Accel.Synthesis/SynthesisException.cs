namespace Accel.Synthesis;

/// <summary>
/// A synthesis or exploration request that cannot be carried out: an unknown board, yosys
/// missing or failing or running past its time limit, a design space with no feasible point.
/// The message says what to do.
/// </summary>
public sealed class SynthesisException(string message) : Exception(message);
