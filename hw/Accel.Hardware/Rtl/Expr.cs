using System.Numerics;

namespace Accel.Hardware.Rtl;

/// <summary>
/// An RTL expression with a known bit width. Operands of arithmetic and bitwise operators must
/// have equal widths (extend explicitly with <see cref="Zext"/>/<see cref="Sext"/>), so every
/// width in the emitted Verilog is explicit and Verilator's WIDTH lint stays quiet.
/// Arithmetic is unsigned two's complement; signedness appears only where it changes the
/// result: <see cref="SLt"/> and friends, and <see cref="Sra"/>.
/// </summary>
public abstract record Expr(int Width)
{
    public static Expr operator +(Expr a, Expr b) => Binary.Make("+", a, b);
    public static Expr operator -(Expr a, Expr b) => Binary.Make("-", a, b);
    public static Expr operator *(Expr a, Expr b) => Binary.Make("*", a, b);
    /// <summary>
    /// Two's-complement product of equally wide operands. Marking both signed lets synthesis drop
    /// their sign-extension bits and size the multiplier to the real operands (two DSP48s, not three,
    /// for a 32 x 17-bit product written 48 bits wide).
    /// </summary>
    public Expr SignedTimes(Expr b) =>
        Width == b.Width ? new Binary("*", Signed(this), Signed(b), Width) : throw new RtlException($"operands of signed '*' differ in width: {Width} vs {b.Width}");
    public static Expr operator &(Expr a, Expr b) => Binary.Make("&", a, b);
    public static Expr operator |(Expr a, Expr b) => Binary.Make("|", a, b);
    public static Expr operator ^(Expr a, Expr b) => Binary.Make("^", a, b);
    public static Expr operator ~(Expr a) => new Unary("~", a, a.Width);
    public static Expr operator !(Expr a) => new Unary("!", Bool(a, "!"), 1);

    public static Expr operator +(Expr a, long b) => a + Lit(a.Width, b);
    public static Expr operator -(Expr a, long b) => a - Lit(a.Width, b);

    public Expr Eq(Expr b) => Binary.Compare("==", this, b);
    public Expr Ne(Expr b) => Binary.Compare("!=", this, b);
    public Expr Eq(long b) => Eq(Lit(Width, b));
    public Expr Ne(long b) => Ne(Lit(Width, b));
    /// <summary>Unsigned comparisons.</summary>
    public Expr Lt(Expr b) => Binary.Compare("<", this, b);
    public Expr Le(Expr b) => Binary.Compare("<=", this, b);
    public Expr Gt(Expr b) => Binary.Compare(">", this, b);
    public Expr Ge(Expr b) => Binary.Compare(">=", this, b);
    public Expr Lt(long b) => Lt(Lit(Width, b));
    public Expr Ge(long b) => Ge(Lit(Width, b));
    /// <summary>Signed (two's complement) comparisons.</summary>
    public Expr SLt(Expr b) => Binary.Compare("<", Signed(this), Signed(b));
    public Expr SGt(Expr b) => Binary.Compare(">", Signed(this), Signed(b));
    public Expr SGe(Expr b) => Binary.Compare(">=", Signed(this), Signed(b));

    public Expr And(Expr b) => Binary.Make("&&", Bool(this, "&&"), Bool(b, "&&"));
    public Expr Or(Expr b) => Binary.Make("||", Bool(this, "||"), Bool(b, "||"));

    /// <summary>Logical shift left by a constant, keeping the width.</summary>
    public Expr Shl(int n) => new Binary("<<", this, Lit(32, n), Width);
    /// <summary>Logical shift left by a variable amount, keeping the width.</summary>
    public Expr ShlBy(Expr amount) => new Binary("<<v", this, amount, Width);
    /// <summary>Arithmetic shift right by a variable amount, keeping the width.</summary>
    public Expr Sra(Expr amount) => new Binary(">>>", Signed(this), amount, Width);

    public Expr Zext(int width) => width == Width ? this
        : width > Width ? new Concat([Lit(width - Width, 0), this])
        : throw new RtlException($"cannot zero-extend {Width} bits to {width}");
    public Expr Sext(int width) => width == Width ? this
        : width > Width ? new Concat([new Replicate(width - Width, Bit(Width - 1)), this])
        : throw new RtlException($"cannot sign-extend {Width} bits to {width}");
    /// <summary>Zero-extends or truncates (truncation needs a named signal) to <paramref name="width"/>.</summary>
    public Expr Fit(int width) => width >= Width ? Zext(width) : Slice(width - 1, 0);

    /// <summary>The low <paramref name="width"/> bits.</summary>
    public Expr Trunc(int width) => width == Width ? this : Slice(width - 1, 0);

    public Expr Bit(int index) => Slice(index, index);
    public Expr Slice(int hi, int lo)
    {
        if (lo < 0 || hi >= Width || hi < lo) throw new RtlException($"slice [{hi}:{lo}] outside a {Width}-bit value");
        return this switch
        {
            Sig s => new Select(s, hi, lo),
            Select sel => new Select(sel.Source, sel.Lo + hi, sel.Lo + lo),
            _ => throw new RtlException("slices apply to named signals only; assign the expression to a wire first"),
        };
    }

    public Expr ReduceOr() => new Unary("|", this, 1);
    public Expr ReduceAnd() => new Unary("&", this, 1);

    public static Expr Lit(int width, BigInteger value)
    {
        if (width < 1) throw new RtlException("literal width must be positive");
        var modulus = BigInteger.One << width;
        var bits = ((value % modulus) + modulus) % modulus;
        if (value >= modulus || value < -(modulus >> 1))
            throw new RtlException($"literal {value} does not fit in {width} bits");
        return new Const(width, bits);
    }

    public static Expr Mux(Expr cond, Expr whenTrue, Expr whenFalse)
    {
        if (whenTrue.Width != whenFalse.Width)
            throw new RtlException($"mux arms differ in width: {whenTrue.Width} vs {whenFalse.Width}");
        return new Ternary(Bool(cond, "?:"), whenTrue, whenFalse);
    }

    public static Expr Cat(params Expr[] parts) => new Concat(parts);

    private static Expr Signed(Expr e) => new SignedCast(e);

    internal static Expr Bool(Expr e, string op) =>
        e.Width == 1 ? e : throw new RtlException($"operator {op} needs a 1-bit operand, got {e.Width} bits");
}

/// <summary>A named signal: port, wire or register half.</summary>
public sealed record Sig(string Name, int Width) : Expr(Width)
{
    public override string ToString() => Name;
}

/// <summary>A constant; <see cref="Bits"/> is the non-negative bit pattern.</summary>
public sealed record Const(int Width, BigInteger Bits) : Expr(Width);

/// <summary>A constant part-select of a signal.</summary>
public sealed record Select(Sig Source, int Hi, int Lo) : Expr(Hi - Lo + 1);

public sealed record Concat(IReadOnlyList<Expr> Parts) : Expr(Parts.Sum(p => p.Width));

public sealed record Replicate(int Count, Expr Part) : Expr(Count * Part.Width);

public sealed record Unary(string Op, Expr Operand, int ResultWidth) : Expr(ResultWidth);

public sealed record Binary(string Op, Expr Left, Expr Right, int ResultWidth) : Expr(ResultWidth)
{
    internal static Expr Make(string op, Expr a, Expr b)
    {
        if (a.Width != b.Width) throw new RtlException($"operands of '{op}' differ in width: {a.Width} vs {b.Width}");
        return new Binary(op, a, b, a.Width);
    }

    internal static Expr Compare(string op, Expr a, Expr b)
    {
        int wa = a is SignedCast sa ? sa.Operand.Width : a.Width;
        int wb = b is SignedCast sb ? sb.Operand.Width : b.Width;
        if (wa != wb) throw new RtlException($"operands of '{op}' differ in width: {wa} vs {wb}");
        return new Binary(op, a, b, 1);
    }
}

public sealed record Ternary(Expr Condition, Expr WhenTrue, Expr WhenFalse) : Expr(WhenTrue.Width);

public sealed record SignedCast(Expr Operand) : Expr(Operand.Width);

public sealed class RtlException(string message) : Exception(message);
