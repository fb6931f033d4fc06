namespace Accel.Board;

/// <summary>The model was compiled for another engine than the board carries, or does not fit its DRAM: a user error, the message says what to change.</summary>
public sealed class BoardMismatchException(string message) : Exception(message);

/// <summary>
/// The board was reset since the model was loaded (its host tag changed): the registers, and
/// perhaps the memories, no longer hold the model. Load it again (<see cref="Board.RunWithRecoveryAsync"/> does).
/// </summary>
public sealed class BoardResetException(string message) : IOException(message);

/// <summary>The engine reported an error state, or the board answered something inconsistent.</summary>
public sealed class BoardRunException(string message) : IOException(message);
