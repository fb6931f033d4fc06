namespace Accel.Hardware.Rtl;

public enum PortDirection { Input, Output }

public sealed record Port(Sig Signal, PortDirection Direction);

/// <summary>A statement inside an always block.</summary>
public abstract record Stmt;
/// <summary>Blocking in combinational blocks, non-blocking in clocked ones.</summary>
public sealed record AssignStmt(Expr Target, Expr Value) : Stmt;
public sealed record IfStmt(Expr Condition, IReadOnlyList<Stmt> Then, IReadOnlyList<Stmt> Else) : Stmt;
public sealed record CaseStmt(Expr Selector, IReadOnlyList<(long Label, IReadOnlyList<Stmt> Body)> Items, IReadOnlyList<Stmt> Default) : Stmt;

public abstract record ModuleItem;
public sealed record ContinuousAssign(Expr Target, Expr Value) : ModuleItem;
public sealed record CombBlock(IReadOnlyList<Stmt> Body) : ModuleItem;
/// <summary>A clocked block: registers with a synchronous active-low reset, then those without.</summary>
public sealed record ClockedBlock(Sig Clock, Sig? ResetN, IReadOnlyList<Register> Registers) : ModuleItem;
public sealed record Instance(string ModuleName, string InstanceName, IReadOnlyDictionary<string, long> Parameters,
    IReadOnlyList<(string Port, Expr? Signal)> Connections) : ModuleItem;

/// <summary>A register in the lowRISC shape: <c>name_q</c> holds, <c>name_d</c> is the next value.</summary>
public sealed record Register(Sig Q, Sig D, System.Numerics.BigInteger? Reset);

/// <summary>
/// One Verilog module as data. Builders add ports, signals, registers, assigns, blocks and
/// instances; <see cref="VerilogEmitter"/> turns it into text. Names are checked for clashes
/// and widths are checked on every assignment, so mistakes fail in C#, not in a lint log.
/// </summary>
public sealed class Module
{
    private readonly Dictionary<string, Sig> _names = new(StringComparer.Ordinal);
    private readonly List<Port> _ports = [];
    private readonly List<Sig> _nets = [];
    private readonly List<Register> _registers = [];
    private readonly List<ModuleItem> _items = [];
    private readonly List<string> _comments = [];

    public Module(string name)
    {
        RtlNames.Check(name);
        Name = name;
    }

    public string Name { get; }
    public IReadOnlyList<Port> Ports => _ports;
    public IReadOnlyList<Sig> Nets => _nets;
    public IReadOnlyList<Register> Registers => _registers;
    public IReadOnlyList<ModuleItem> Items => _items;
    /// <summary>Lines of the module's leading comment (what it is for).</summary>
    public IReadOnlyList<string> Comments => _comments;

    public Module Describe(params string[] lines)
    {
        _comments.AddRange(lines);
        return this;
    }

    public Sig Input(string name, int width = 1) => AddPort(name, width, PortDirection.Input);
    public Sig Output(string name, int width = 1) => AddPort(name, width, PortDirection.Output);

    /// <summary>A net driven by a continuous assign or a combinational block.</summary>
    public Sig Wire(string name, int width = 1)
    {
        var s = Declare(name, width);
        _nets.Add(s);
        return s;
    }

    /// <summary>A wire driven by <paramref name="value"/>.</summary>
    public Sig Wire(string name, Expr value)
    {
        var s = Wire(name, value.Width);
        Assign(s, value);
        return s;
    }

    /// <summary>
    /// A wire of which only some bits are read (a full-width product truncated to an address);
    /// the emitter waives Verilator's UNUSEDSIGNAL for it alone and prints <paramref name="reason"/>.
    /// </summary>
    public Sig PartlyUsedWire(string name, Expr value, string reason)
    {
        var s = Wire(name, value);
        _unusedBitsReasons[name] = reason;
        return s;
    }

    /// <summary>As <see cref="PartlyUsedWire(string, Expr, string)"/>, for a wire driven by an instance output.</summary>
    public Sig PartlyUsedWire(string name, int width, string reason)
    {
        var s = Wire(name, width);
        _unusedBitsReasons[name] = reason;
        return s;
    }

    /// <summary>Signals with a documented lint waiver, and why.</summary>
    public IReadOnlyDictionary<string, string> UnusedBitsReasons => _unusedBitsReasons;
    private readonly Dictionary<string, string> _unusedBitsReasons = new(StringComparer.Ordinal);

    /// <summary>A register <c>name_q</c>/<c>name_d</c>; <paramref name="reset"/> null means no reset (data-path pipelines).</summary>
    public Register Reg(string name, int width, System.Numerics.BigInteger? reset = null)
    {
        var q = Declare(name + "_q", width);
        var d = Declare(name + "_d", width);
        var r = new Register(q, d, reset);
        _registers.Add(r);
        return r;
    }

    /// <summary>A pipeline register whose next value is <paramref name="next"/>; returns its output.</summary>
    public Sig Pipe(string name, Expr next, System.Numerics.BigInteger? reset = null)
    {
        var r = Reg(name, next.Width, reset);
        Assign(r.D, next);
        return r.Q;
    }

    public void Assign(Expr target, Expr value)
    {
        RtlChecks.Assignable(target);
        RtlChecks.SameWidth(target, value);
        _items.Add(new ContinuousAssign(target, value));
    }

    /// <summary>A combinational block; the body should start with defaults for everything it assigns.</summary>
    public void Comb(Action<BlockBuilder> body)
    {
        var b = new BlockBuilder();
        body(b);
        _items.Add(new CombBlock(b.Statements));
    }

    public void Instantiate(string moduleName, string instanceName, IReadOnlyDictionary<string, long>? parameters,
        params (string Port, Expr? Signal)[] connections)
    {
        RtlNames.Check(instanceName);
        _items.Add(new Instance(moduleName, instanceName, parameters ?? new Dictionary<string, long>(), connections));
    }

    /// <summary>Adds the single clocked block holding every register (<c>q &lt;= d</c> only).</summary>
    public void Clocked(Sig clock, Sig? resetN)
    {
        if (_registers.Count > 0) _items.Add(new ClockedBlock(clock, resetN, _registers.ToArray()));
    }

    private Sig AddPort(string name, int width, PortDirection dir)
    {
        var s = Declare(name, width);
        _ports.Add(new Port(s, dir));
        return s;
    }

    private Sig Declare(string name, int width)
    {
        RtlNames.Check(name);
        if (width < 1) throw new RtlException($"{Name}.{name}: width must be positive, got {width}");
        if (!_names.TryAdd(name, new Sig(name, width))) throw new RtlException($"{Name}: '{name}' declared twice");
        return _names[name];
    }
}

/// <summary>Collects the statements of an always block.</summary>
public sealed class BlockBuilder
{
    private readonly List<Stmt> _stmts = [];
    public IReadOnlyList<Stmt> Statements => _stmts;

    public void Set(Expr target, Expr value)
    {
        RtlChecks.Assignable(target);
        RtlChecks.SameWidth(target, value);
        _stmts.Add(new AssignStmt(target, value));
    }

    public void Set(Expr target, long value) => Set(target, Expr.Lit(target.Width, value));

    /// <summary>Default: the register keeps its value.</summary>
    public void Hold(Register r) => Set(r.D, r.Q);

    public void If(Expr condition, Action<BlockBuilder> then, Action<BlockBuilder>? otherwise = null)
    {
        var t = new BlockBuilder();
        then(t);
        var e = new BlockBuilder();
        otherwise?.Invoke(e);
        _stmts.Add(new IfStmt(Expr.Bool(condition, "if"), t.Statements, e.Statements));
    }

    public void Case(Expr selector, IEnumerable<(long Label, Action<BlockBuilder> Body)> items, Action<BlockBuilder> otherwise)
    {
        var built = items.Select(i =>
        {
            var b = new BlockBuilder();
            i.Body(b);
            return (i.Label, b.Statements);
        }).ToArray();
        var d = new BlockBuilder();
        otherwise(d);
        _stmts.Add(new CaseStmt(selector, built, d.Statements));
    }
}

internal static class RtlChecks
{
    public static void Assignable(Expr target)
    {
        if (target is not (Sig or Select))
            throw new RtlException("only a signal or a part-select of one can be assigned");
    }

    public static void SameWidth(Expr target, Expr value)
    {
        if (target.Width != value.Width)
            throw new RtlException($"assignment to {Describe(target)}: {value.Width} bits into {target.Width}");
    }

    public static string Describe(Expr e) => e switch
    {
        Sig s => s.Name,
        Select s => $"{s.Source.Name}[{s.Hi}:{s.Lo}]",
        _ => "expression",
    };
}

/// <summary>Verilog identifier rules plus the project's lower_snake_case convention.</summary>
public static class RtlNames
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "module", "endmodule", "input", "output", "inout", "wire", "reg", "logic", "assign", "always", "begin", "end",
        "if", "else", "case", "endcase", "default", "for", "generate", "endgenerate", "genvar", "parameter",
        "localparam", "integer", "signed", "unsigned", "posedge", "negedge", "initial", "function", "task",
        // SystemVerilog keywords: Verilator and other tools parse .v files with them reserved.
        "inside", "bit", "byte", "int", "shortint", "longint", "final", "type", "priority", "unique", "return", "break",
        "continue", "program", "interface", "class", "package", "import", "export", "property", "sequence", "assert",
        "assume", "cover", "bind", "config", "cell", "design", "table", "primitive", "wait", "event", "fork", "join",
        "disable", "force", "release", "repeat", "while", "forever", "do", "const", "var", "ref", "static", "automatic",
        "string", "void", "enum", "struct", "union", "typedef", "real", "time", "alias", "with", "local", "new", "null",
        "this", "rand", "constraint", "clocking", "global", "modport", "edge", "specify", "supply0", "supply1",
    };

    public static void Check(string name)
    {
        if (string.IsNullOrEmpty(name) || !(char.IsAsciiLetterLower(name[0]) || name[0] == '_')
            || name.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_')) || Keywords.Contains(name))
            throw new RtlException($"'{name}' is not a lower_snake_case Verilog identifier");
    }
}
