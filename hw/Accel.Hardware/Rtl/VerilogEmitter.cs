using System.Globalization;
using System.Text;

namespace Accel.Hardware.Rtl;

/// <summary>
/// Prints a <see cref="Module"/> as Verilog-2005 text, deterministically: items in the order
/// they were added, two-space indentation, explicit widths on every literal. Every file starts
/// with <paramref name="header"/> (generator version and configuration hash).
/// </summary>
public static class VerilogEmitter
{
    public static string Emit(Module module, IReadOnlyList<string> header)
    {
        var sb = new StringBuilder();
        foreach (var line in header) sb.Append("// ").AppendLine(line);
        sb.AppendLine("`default_nettype none");
        sb.AppendLine();
        foreach (var line in module.Comments) sb.Append("// ").AppendLine(line);
        sb.Append("module ").Append(module.Name).AppendLine(" (");
        for (int i = 0; i < module.Ports.Count; i++)
        {
            var p = module.Ports[i];
            string dir = p.Direction == PortDirection.Input ? "input  wire" : "output wire";
            sb.Append("  ").Append(dir).Append(' ').Append(Range(p.Signal.Width)).Append(p.Signal.Name)
              .AppendLine(i + 1 < module.Ports.Count ? "," : "");
        }
        sb.AppendLine(");");

        var procedural = ProceduralTargets(module);
        var outputs = module.Ports.Where(p => p.Direction == PortDirection.Output).Select(p => p.Signal.Name).ToHashSet();
        foreach (var o in outputs.Where(procedural.Contains))
            throw new RtlException($"{module.Name}.{o}: drive output ports with assign, not from an always block");

        var declarations = module.Nets.Concat(module.Registers.SelectMany(r => new[] { r.Q, r.D })).ToList();
        if (declarations.Count > 0) sb.AppendLine();
        foreach (var r in module.Registers)
        {
            sb.Append("  reg  ").Append(Range(r.Q.Width)).Append(r.Q.Name).AppendLine(";");
            sb.Append(procedural.Contains(r.D.Name) ? "  reg  " : "  wire ").Append(Range(r.D.Width)).Append(r.D.Name).AppendLine(";");
        }
        foreach (var n in module.Nets)
        {
            bool waived = module.UnusedBitsReasons.TryGetValue(n.Name, out var reason);
            if (waived) sb.Append("  // ").AppendLine(reason).AppendLine("  /* verilator lint_off UNUSEDSIGNAL */");
            sb.Append(procedural.Contains(n.Name) ? "  reg  " : "  wire ").Append(Range(n.Width)).Append(n.Name).AppendLine(";");
            if (waived) sb.AppendLine("  /* verilator lint_on UNUSEDSIGNAL */");
        }

        foreach (var item in module.Items)
        {
            sb.AppendLine();
            switch (item)
            {
                case ContinuousAssign a:
                    sb.Append("  assign ").Append(Lhs(a.Target)).Append(" = ").Append(Expression(a.Value)).AppendLine(";");
                    break;
                case CombBlock c:
                    sb.AppendLine("  always @(*) begin");
                    Statements(sb, c.Body, 2, "=");
                    sb.AppendLine("  end");
                    break;
                case ClockedBlock k:
                    ClockedBlockText(sb, k);
                    break;
                case Instance inst:
                    InstanceText(sb, inst);
                    break;
            }
        }
        sb.AppendLine();
        sb.AppendLine("endmodule");
        sb.AppendLine();
        sb.AppendLine("`default_nettype wire");
        return sb.ToString();
    }

    private static void ClockedBlockText(StringBuilder sb, ClockedBlock k)
    {
        var withReset = k.Registers.Where(r => r.Reset is not null).ToList();
        var noReset = k.Registers.Where(r => r.Reset is null).ToList();
        if (withReset.Count > 0)
        {
            if (k.ResetN is null) throw new RtlException("registers with a reset need a reset signal");
            sb.Append("  always @(posedge ").Append(k.Clock.Name).AppendLine(") begin");
            sb.Append("    if (!").Append(k.ResetN.Name).AppendLine(") begin");
            foreach (var r in withReset)
                sb.Append("      ").Append(r.Q.Name).Append(" <= ").Append(Literal(r.Q.Width, r.Reset!.Value)).AppendLine(";");
            sb.AppendLine("    end else begin");
            foreach (var r in withReset) sb.Append("      ").Append(r.Q.Name).Append(" <= ").Append(r.D.Name).AppendLine(";");
            sb.AppendLine("    end");
            sb.AppendLine("  end");
        }
        if (noReset.Count > 0)
        {
            if (withReset.Count > 0) sb.AppendLine();
            sb.Append("  always @(posedge ").Append(k.Clock.Name).AppendLine(") begin");
            foreach (var r in noReset) sb.Append("    ").Append(r.Q.Name).Append(" <= ").Append(r.D.Name).AppendLine(";");
            sb.AppendLine("  end");
        }
    }

    private static void InstanceText(StringBuilder sb, Instance inst)
    {
        sb.Append("  ").Append(inst.ModuleName);
        if (inst.Parameters.Count > 0)
        {
            sb.AppendLine(" #(");
            int i = 0;
            foreach (var (name, value) in inst.Parameters)
                sb.Append("    .").Append(name).Append('(').Append(value.ToString(CultureInfo.InvariantCulture)).Append(')')
                  .AppendLine(++i < inst.Parameters.Count ? "," : "");
            sb.Append("  )");
        }
        sb.Append(' ').Append(inst.InstanceName).AppendLine(" (");
        for (int i = 0; i < inst.Connections.Count; i++)
        {
            var (port, signal) = inst.Connections[i];
            sb.Append("    .").Append(port).Append('(').Append(signal is null ? "" : Expression(signal)).Append(')')
              .AppendLine(i + 1 < inst.Connections.Count ? "," : "");
        }
        sb.AppendLine("  );");
    }

    private static void Statements(StringBuilder sb, IReadOnlyList<Stmt> body, int depth, string op)
    {
        string pad = new(' ', depth * 2);
        foreach (var s in body)
        {
            switch (s)
            {
                case AssignStmt a:
                    sb.Append(pad).Append(Lhs(a.Target)).Append(' ').Append(op).Append(' ').Append(Expression(a.Value)).AppendLine(";");
                    break;
                case IfStmt i:
                    sb.Append(pad).Append("if (").Append(Expression(i.Condition)).AppendLine(") begin");
                    Statements(sb, i.Then, depth + 1, op);
                    if (i.Else.Count > 0)
                    {
                        sb.Append(pad).AppendLine("end else begin");
                        Statements(sb, i.Else, depth + 1, op);
                    }
                    sb.Append(pad).AppendLine("end");
                    break;
                case CaseStmt c:
                    sb.Append(pad).Append("case (").Append(Expression(c.Selector)).AppendLine(")");
                    foreach (var (label, items) in c.Items)
                    {
                        sb.Append(pad).Append("  ").Append(Literal(c.Selector.Width, label)).AppendLine(": begin");
                        Statements(sb, items, depth + 2, op);
                        sb.Append(pad).AppendLine("  end");
                    }
                    sb.Append(pad).AppendLine("  default: begin");
                    Statements(sb, c.Default, depth + 2, op);
                    sb.Append(pad).AppendLine("  end");
                    sb.Append(pad).AppendLine("endcase");
                    break;
            }
        }
    }

    private static HashSet<string> ProceduralTargets(Module m)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        void Walk(IEnumerable<Stmt> body)
        {
            foreach (var s in body)
            {
                switch (s)
                {
                    case AssignStmt a: set.Add(TargetName(a.Target)); break;
                    case IfStmt i: Walk(i.Then); Walk(i.Else); break;
                    case CaseStmt c:
                        foreach (var (_, b) in c.Items) Walk(b);
                        Walk(c.Default);
                        break;
                }
            }
        }
        foreach (var item in m.Items.OfType<CombBlock>()) Walk(item.Body);
        return set;
    }

    private static string TargetName(Expr e) => e switch
    {
        Sig s => s.Name,
        Select s => s.Source.Name,
        _ => throw new RtlException("not an assignable target"),
    };

    private static string Lhs(Expr e) => Expression(e);

    private static string Range(int width) => width == 1 ? "" : $"[{width - 1}:0] ";

    public static string Literal(int width, System.Numerics.BigInteger value)
    {
        var modulus = System.Numerics.BigInteger.One << width;
        var bits = ((value % modulus) + modulus) % modulus;
        return width <= 64 || bits.IsZero
            ? $"{width}'d{bits.ToString(CultureInfo.InvariantCulture)}"
            : $"{width}'h{bits.ToString("x", CultureInfo.InvariantCulture).TrimStart('0').PadLeft(1, '0')}";
    }

    /// <summary>Fully parenthesised, so the printed precedence is the tree's.</summary>
    public static string Expression(Expr e) => e switch
    {
        Sig s => s.Name,
        Const c => Literal(c.Width, c.Bits),
        Select s => s.Hi == s.Lo && s.Source.Width == 1 ? s.Source.Name
            : s.Hi == s.Lo ? $"{s.Source.Name}[{s.Hi}]" : $"{s.Source.Name}[{s.Hi}:{s.Lo}]",
        Concat c => "{" + string.Join(", ", c.Parts.Select(Expression)) + "}",
        Replicate r => $"{{{r.Count}{{{Expression(r.Part)}}}}}",
        Unary u => $"{u.Op}{Atom(u.Operand)}",
        Binary b when b.Op == "<<" => $"({Expression(b.Left)} << {((Const)b.Right).Bits})",
        Binary b when b.Op == "<<v" => $"({Expression(b.Left)} << {Expression(b.Right)})",
        Binary b when b.Op == ">>>" => $"({Expression(b.Left)} >>> {Expression(b.Right)})",
        Binary b => $"({Expression(b.Left)} {b.Op} {Expression(b.Right)})",
        Ternary t => $"({Expression(t.Condition)} ? {Expression(t.WhenTrue)} : {Expression(t.WhenFalse)})",
        SignedCast s => $"$signed({Expression(s.Operand)})",
        _ => throw new RtlException($"cannot print {e.GetType().Name}"),
    };

    private static string Atom(Expr e) => e is Sig or Const or Select or Concat or Replicate ? Expression(e) : $"({Expression(e)})";
}
