using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// The Rows x Cols grid of PEs, wired by loops: activations enter on the left of each row
/// (already skewed), partial sums leave at the bottom of each column. Weight loading writes one
/// row of PEs per cycle into the chosen bank.
/// </summary>
public static class Mesh
{
    public const string Name = "accel_mesh";

    public static Module Build(EngineConfig c)
    {
        int rows = c.Rows, cols = c.Cols, p = c.PsumBits, ob = EngineConfig.OperandBits, db = EngineConfig.DataBits;
        var m = new Module(Name).Describe($"{rows}x{cols} grid of processing elements (row r holds input lane r, column c output channel c).");
        var clk = m.Input("clk_i");
        var act = m.Input("act_i", rows * ob);
        var sel = m.Input("sel_i", rows);
        var we = m.Input("wt_we_i");
        var row = m.Input("wt_row_i", c.RowIndexBits);
        var bank = m.Input("wt_bank_i");
        var data = m.Input("wt_data_i", cols * db);
        var psumOut = m.Output("psum_o", cols * p);

        var rowWe = new Sig[rows];
        for (int r = 0; r < rows; r++) rowWe[r] = m.Wire($"wt_we_r{r}", we.And(row.Eq(r)));

        // act_r{r}_c{c} / sel_r{r}_c{c}: what PE (r, c) receives from its left neighbour.
        // psum_r{r}_c{c}: the partial sum leaving PE (r-1, c), i.e. entering PE (r, c).
        var actW = new Sig[rows, cols];
        var selW = new Sig[rows, cols];
        var psumW = new Sig[rows + 1, cols];
        for (int r = 0; r < rows; r++)
            for (int col = 1; col < cols; col++)
            {
                actW[r, col] = m.Wire($"act_r{r}_c{col}", ob);
                selW[r, col] = m.Wire($"sel_r{r}_c{col}");
            }
        for (int r = 1; r <= rows; r++)
            for (int col = 0; col < cols; col++)
                psumW[r, col] = m.Wire($"psum_r{r}_c{col}", p);

        for (int r = 0; r < rows; r++)
            for (int col = 0; col < cols; col++)
            {
                bool edge = col == cols - 1;
                var conns = new List<(string, Expr?)>
                {
                    ("clk_i", clk),
                    ("act_i", col == 0 ? act.Slice(r * ob + ob - 1, r * ob) : actW[r, col]),
                    ("sel_i", col == 0 ? sel.Bit(r) : selW[r, col]),
                    ("psum_i", r == 0 ? Expr.Lit(p, 0) : psumW[r, col]),
                    ("wt_we_i", rowWe[r]),
                    ("wt_bank_i", bank),
                    ("wt_data_i", data.Slice(col * db + db - 1, col * db)),
                };
                if (!edge)
                {
                    conns.Add(("act_o", actW[r, col + 1]));
                    conns.Add(("sel_o", selW[r, col + 1]));
                }
                conns.Add(("psum_o", psumW[r + 1, col]));
                m.Instantiate(edge ? Pe.EdgeName : Pe.Name, $"u_pe_r{r}_c{col}", null, conns.ToArray());
            }
        m.Assign(psumOut, Expr.Cat(Enumerable.Range(0, cols).Reverse().Select(col => (Expr)psumW[rows, col]).ToArray()));
        return m;
    }
}
