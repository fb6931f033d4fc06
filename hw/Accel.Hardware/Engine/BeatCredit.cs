using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// Read-burst credit for a buffer behind a DRAM read port that is never back-pressured (the
/// instruction fetch queue, the load unit's sparse beat FIFO): a burst may be requested only while
/// the buffer has room for it on top of every beat already requested. The credit (a register
/// <c>credit_q</c> of the module) starts at the buffer's capacity in beats, a request spends its
/// beats, and a beat leaving the buffer returns one (a popped instruction returns its beats).
/// Not a module: the requester's own comb block spends and restarts it.
/// </summary>
public sealed class BeatCredit
{
    private BeatCredit(Register credit, int capacity)
    {
        Register = credit;
        Capacity = capacity;
    }

    public Register Register { get; }
    public int Capacity { get; }
    public int Bits => Register.Q.Width;

    public static BeatCredit Declare(Module m, int capacity) =>
        new(m.Reg("credit", EngineConfig.Log2Ceil(capacity + 1), 0), capacity);

    /// <summary>Whether a burst of <paramref name="burst"/> beats fits the room left.</summary>
    public Expr Covers(Expr burst)
    {
        int w = Math.Max(Bits, burst.Width);
        return Register.Q.Zext(w).Ge(burst.Zext(w));
    }

    /// <summary>Next credit: less the burst requested this cycle (if <paramref name="fire"/>), plus the beats returned.</summary>
    public void Update(BlockBuilder b, Expr fire, Expr burst, Expr returned)
    {
        var spent = Expr.Mux(fire, burst.Zext(Bits), Expr.Lit(Bits, 0));
        b.Set(Register.D, Register.Q - spent + returned.Zext(Bits));
    }

    /// <summary>A new transfer starts with the buffer empty and nothing in flight.</summary>
    public void Restart(BlockBuilder b) => b.Set(Register.D, Capacity);
}
